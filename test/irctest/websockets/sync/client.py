"""A minimal stand-in for websockets.sync.client (websockets >= 11), for irctest's websocket
tests on a machine whose Debian package (python3-websockets) is 10.4, and where PyPI is out of
reach. An RFC 6455 client, only as much as irctest's websocket.py uses: the handshake with
subprotocols, masked frames out, frames in (a ping answered, a close ends). docs/irc.md,
"Conformance", says how to run irctest with it (PYTHONPATH=test/irctest)."""
import base64, os, socket, struct
from urllib.parse import urlparse

class ConnectionClosed(Exception):
    pass

class ClientConnection:
    def __init__(self, sock, subprotocol):
        self.sock = sock
        self.subprotocol = subprotocol
        self.buf = b""

    def _read(self, n, timeout):
        self.sock.settimeout(timeout)
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError()
            if not chunk:
                raise ConnectionClosed()
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, message):
        if isinstance(message, str):
            self._frame(1, message.encode())
        else:
            self._frame(2, bytes(message))

    def recv(self, timeout=None, **kwargs):
        parts = []
        opcode0 = None
        while True:
            # A timeout only before a frame starts: a frame begun is read whole.
            b0, b1 = self._read(2, timeout)
            opcode = b0 & 0x0F
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2, None))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8, None))[0]
            payload = self._read(n, None) if n else b""
            if opcode == 9:
                self._frame(10, payload)
                continue
            if opcode == 10:
                continue
            if opcode == 8:
                raise ConnectionClosed()
            if opcode != 0:
                opcode0 = opcode
            parts.append(payload)
            if b0 & 0x80:
                data = b"".join(parts)
                return data.decode() if opcode0 == 1 else data

    def close(self):
        try:
            self._frame(8, struct.pack(">H", 1000))
        except OSError:
            pass
        self.sock.close()

def connect(url, subprotocols=None, **kwargs):
    u = urlparse(url)
    port = u.port or (443 if u.scheme == "wss" else 80)
    sock = socket.create_connection((u.hostname, port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {u.path or '/'} HTTP/1.1", f"Host: {u.hostname}:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if subprotocols:
        lines.append("Sec-WebSocket-Protocol: " + ", ".join(subprotocols))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionRefusedError("closed during the handshake")
        resp += chunk
    head, rest = resp.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n")[0]
    if b" 101 " not in status:
        raise ConnectionRefusedError(status.decode())
    proto = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode().partition(":")
        if name.strip().lower() == "sec-websocket-protocol":
            proto = value.strip()
    conn = ClientConnection(sock, proto)
    conn.buf = rest
    return conn
