# Runs a command with its stdout on a pipe enlarged to 1 MiB (F_SETPIPE_SZ),
# counts the lines it writes, and reports on this process's stdout:
#   "pid <pid>" once, then "<lines> <bytes>" whenever asked (a line on stdin).
# A 64 KiB pipe makes a fast writer wait for the reader to be scheduled every
# ~230 lines; on a loaded machine that, not the writer, sets the pace.
import fcntl, os, subprocess, sys, threading

F_SETPIPE_SZ = 1031
read_end, write_end = os.pipe()
try:
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 1 << 20)
except OSError:
    pass  # keep the default size (pipe-max-size may be lower)
child = subprocess.Popen(sys.argv[1:], stdout=write_end, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
os.close(write_end)
print(f"pid {child.pid}", flush=True)
counts = [0, 0]

def answer():
    for _ in sys.stdin:
        print(f"{counts[0]} {counts[1]}", flush=True)
    child.kill()

threading.Thread(target=answer, daemon=True).start()
while True:
    chunk = os.read(read_end, 1 << 20)
    if not chunk:
        break
    counts[0] += chunk.count(b"\n")
    counts[1] += len(chunk)
print(f"{counts[0]} {counts[1]}", flush=True)
child.wait()
