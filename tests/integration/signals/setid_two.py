# Issue 10, item 9: two processes of one tree change ids before their
# next trapped calls; each keeps its own (MicronOS record, /proc status).
import os, time
r1, w1 = os.pipe(); r2, w2 = os.pipe()
kids = []
for uid, r, w in ((1001, r1, w2), (1002, r2, w1)):
    pid = os.fork()
    if pid == 0:
        os.setresuid(uid, uid, uid)        # continued: recorded later
        os.write(w, b"x"); os.read(r, 1)   # both changed ids before either traps again
        os.uname()                          # the next trapped call
        time.sleep(0.05)
        st = open("/proc/%d/status" % os.getpid()).read()
        ids = [l for l in st.split("\n") if l.startswith("Uid:")][0].split()[1:3]
        os.write(1, ("%d %s\n" % (uid, ids)).encode())  # one write: no interleaving
        os._exit(0)
    kids.append(pid)
for k in kids: os.waitpid(k, 0)
