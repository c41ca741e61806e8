"""The bits of RFC 6455 the stand-in needs: the handshake and a few frame types.

After the 101 answer the stand-in reads frames until the client closes: it
answers a ping with a pong, a close with a close, and keeps quiet otherwise
(the real server would push bus notifications there).
"""

import base64
import hashlib
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA
CLOSE_GOING_AWAY = 1001


class HandshakeError(Exception):
    """The request is not a WebSocket upgrade the server can accept."""


def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key."""
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def check_handshake(headers):
    """Return the client's key, or raise HandshakeError saying what is missing."""
    if "websocket" not in headers.get("Upgrade", "").lower():
        raise HandshakeError("missing 'Upgrade: websocket'")
    if "upgrade" not in [t.strip() for t in headers.get("Connection", "").lower().split(",")]:
        raise HandshakeError("missing 'Connection: Upgrade'")
    if headers.get("Sec-WebSocket-Version", "") != "13":
        raise HandshakeError("Sec-WebSocket-Version must be 13")
    key = headers.get("Sec-WebSocket-Key", "")
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except ValueError:
        raise HandshakeError("invalid Sec-WebSocket-Key") from None
    return key


def encode_frame(opcode, payload=b"", mask_key=None):
    """One final frame; masked when mask_key (4 bytes) is given, as clients send."""
    header = bytes([0x80 | opcode])
    mask_bit = 0x80 if mask_key else 0
    length = len(payload)
    if length < 126:
        header += bytes([mask_bit | length])
    elif length < 65536:
        header += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        header += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if mask_key:
        payload = bytes(b ^ mask_key[i % 4] for i, b in enumerate(payload))
        header += mask_key
    return header + payload


def _read_exact(stream, count):
    data = b""
    while len(data) < count:
        chunk = stream.read(count - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def read_frame(stream):
    """(opcode, payload) of the next frame from a binary stream, unmasked."""
    first, second = _read_exact(stream, 2)
    opcode = first & 0x0F
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", _read_exact(stream, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _read_exact(stream, 8))[0]
    mask_key = _read_exact(stream, 4) if second & 0x80 else None
    payload = _read_exact(stream, length)
    if mask_key:
        payload = bytes(b ^ mask_key[i % 4] for i, b in enumerate(payload))
    return opcode, payload


def close_payload(code, reason=""):
    return struct.pack("!H", code) + reason.encode("utf-8")
