#!/usr/bin/env python3
"""Renders icons/icon-<size>.png from one vector description (the source of every size).

A rounded blue tile with a white handset: a thick arc whose ends are the ear and mouth pieces.
Standard library only (zlib + struct), 4x4 supersampling. Run: python3 scripts/icons.py
"""
import math
import pathlib
import struct
import zlib

SIZES = (16, 32, 48, 128)
TOP, BOTTOM = (0x2A, 0x86, 0xFF), (0x07, 0x4F, 0xC2)


def inside_tile(x, y):
    r, m = 0.22, 0.02  # corner radius and margin, as fractions of the size
    cx = min(max(x, m + r), 1 - m - r)
    cy = min(max(y, m + r), 1 - m - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and m <= x <= 1 - m and m <= y <= 1 - m


def inside_handset(x, y):
    cx, cy, radius, width = 0.56, 0.44, 0.27, 0.11
    start, end = math.radians(100), math.radians(260)  # the arc opens to the lower right
    d = math.hypot(x - cx, y - cy)
    a = math.atan2(y - cy, x - cx) % (2 * math.pi)
    if abs(d - radius) <= width / 2 and start <= a <= end:
        return True
    for angle in (start, end):
        ex, ey = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        # ear and mouth pieces: rounded pads a little wider than the arc
        if (x - ex) ** 2 + (y - ey) ** 2 <= (width * 0.95) ** 2:
            return True
    return False


def render(size):
    rows = []
    n = 4
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            tile = glyph = 0
            for sy in range(n):
                for sx in range(n):
                    x, y = (px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size
                    if inside_tile(x, y):
                        tile += 1
                        glyph += inside_handset(x, y)
            t = py / max(1, size - 1)
            bg = [round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM)]
            if tile == 0:
                row += bytes(4)
                continue
            w = glyph / tile
            rgb = [round(c * (1 - w) + 255 * w) for c in bg]
            row += bytes(rgb + [round(255 * tile / (n * n))])
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parent.parent / "icons"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        (out / f"icon-{size}.png").write_bytes(render(size))
        print(f"icons/icon-{size}.png")
