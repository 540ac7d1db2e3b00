# Prints the matches zsh's completion system offers for a command line, one per line:
#   zsh -f test/helpers/zsh-capture.zsh <completion-script> <command line>
# A zsh in a pseudo-terminal (zpty) loads the script after compinit; compadd is wrapped to print
# every match; null lines written before and after the completion delimit the output, so nothing
# waits on time.
zmodload zsh/zpty || exit 3
script=$1; shift
zpty z zsh -f -i
init=$(mktemp)
cat > $init <<INIT
PROMPT=
autoload -Uz compinit
compinit -u -D
source ${(q)script}
bindkey '^I' complete-word
null-line () { echo -E - \$'\0' }
compprefuncs=( null-line )
comppostfuncs=( null-line exit )
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd () {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "\$@"
    return \$?
  fi
  typeset -a __hits
  builtin compadd -A __hits "\$@"
  local -A apre hpre
  zparseopts -E P:=apre p:=hpre
  local h
  for h in \$__hits; do echo -E - "MATCH:\${apre[-P]}\${hpre[-p]}\$h"; done
}
echo ok
INIT
zpty -w z "source $init"
repeat 10; do
  zpty -r z line
  [[ $line == ok* ]] && break
done
zpty -w z "$*"$'\t'
integer tog=0
while zpty -r z line; do
  if [[ $line == *$'\0'* ]]; then
    (( tog++ )) && break || continue
  fi
  (( tog )) && [[ $line == MATCH:* ]] && print -r -- ${${line#MATCH:}%$'\r'}
done
rm -f $init
