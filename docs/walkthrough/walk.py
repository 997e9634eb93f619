import socket, sys, time
port = int(sys.argv[1]); path = sys.argv[2]; out = sys.argv[3]
rows = [l.rstrip('\n').split('\t') for l in open(path) if l.strip() and not l.startswith('#')][1:]
def session(msg):
    s = socket.create_connection(('127.0.0.1', port)); s.settimeout(0.2)
    buf = b''
    def read_quiet(quiet=0.8, total=4.0, until=None):
        nonlocal buf
        lines = []; t0 = time.time(); last = time.time()
        while time.time() - t0 < total:
            try:
                d = s.recv(65536)
                if not d: break
                buf += d; last = time.time()
                while b'\n' in buf:
                    l, buf = buf.split(b'\n', 1); lines.append(l.decode())
                    if until and until(lines[-1]): return lines
            except socket.timeout:
                if time.time() - last > quiet: break
        return lines
    read_quiet(until=lambda l: 'Ingrese su RUT' in l)
    s.sendall(b'12.345.678-5\n')
    read_quiet(until=lambda l: l.startswith('(4)'))
    s.sendall(msg.encode() + b'\n')
    lines = read_quiet()
    s.close()
    return lines
with open(out, 'w') as f:
    for kind, msg, exp in rows:
        lines = session(msg)
        menu = ('(1) Revisar', '(2) Reiniciar', '(3) Contactar', '(4) Salir')
        shown = [l for l in lines if not l.startswith(menu)]
        f.write(f"{kind}\t{msg}\t{exp}\t{' | '.join(shown)[:400]}\n")
        time.sleep(0.3)
