"""Round-trip time of asking for another customer's request vs a missing one (same
connection, alternating, median of many tries). Usage: equal.py BINARY N"""
import os, socket, sqlite3, statistics, subprocess, sys, tempfile, time

binary, n = sys.argv[1], int(sys.argv[2])
d = tempfile.mkdtemp()
db = os.path.join(d, "r.db")
port = 47000 + os.getpid() % 1000
env = dict(os.environ, RECLAMOS_TOKEN_FILE=os.path.join(d, "t"), RECLAMOS_CREATE_DB="1")
srv = subprocess.Popen([binary, "server", "--db", db, "--port", str(port), "--agent-port", str(port + 1),
                        "--rate", "100000", "--burst", "100000"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            s = socket.create_connection(("127.0.0.1", port)); break
        except OSError:
            time.sleep(0.1)
    f = s.makefile("rb")
    def until(last):
        while True:
            line = f.readline()
            if not line: raise SystemExit("closed")
            if line.rstrip(b"\n").decode() == last: return
    until("Asistente: Hola! Bienvenido, Ingrese su RUT")
    s.sendall("12.345.678-5\n".encode()); until("(4) Salir")
    con = sqlite3.connect(db)
    foreign = con.execute("SELECT id FROM requests WHERE rut != '12345678-5' ORDER BY id LIMIT 1").fetchone()[0]
    missing = con.execute("SELECT max(id) FROM requests").fetchone()[0] + 1000
    times = {"foreign": [], "missing": []}
    for i in range(n):
        for kind, num in (("foreign", foreign), ("missing", missing)) if i % 2 == 0 else (("missing", missing), ("foreign", foreign)):
            t = time.perf_counter_ns()
            s.sendall(f"¿cómo va la solicitud {num}?\n".encode())
            until("(4) Salir")
            times[kind].append((time.perf_counter_ns() - t) / 1000)
    for kind, ts in times.items():
        ts = ts[20:]  # warm-up
        q = statistics.quantiles(ts, n=100)
        print(f"{kind:8} n={len(ts)} median={statistics.median(ts):.0f} us p10={q[9]:.0f} p90={q[89]:.0f}")
finally:
    srv.terminate(); srv.wait()
