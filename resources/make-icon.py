#!/usr/bin/env python3
"""Draws the app icon: writes icon.svg and icon.png (256x256) beside this script, with python3 alone.

One shape list feeds both files, so the PNG is the SVG's picture: this machine in the middle,
three peers around it, on a blue disc (the Peers screen in small).
"""
import math
import struct
import zlib
from pathlib import Path

SIZE = 256
BLUE = (0x25, 0x63, 0xEB)
WHITE = (0xFF, 0xFF, 0xFF)
CENTER = SIZE / 2
PEER_ORBIT = 70
PEERS = [(CENTER + PEER_ORBIT * math.cos(math.radians(a)), CENTER + PEER_ORBIT * math.sin(math.radians(a))) for a in (-90, 30, 150)]

# (kind, geometry, colour), painted in order.
SHAPES = [('circle', (CENTER, CENTER, 124), BLUE)]
SHAPES += [('line', (CENTER, CENTER, x, y, 9), WHITE) for x, y in PEERS]
SHAPES += [('circle', (CENTER, CENTER, 34), WHITE)]
SHAPES += [('circle', (x, y, 20), WHITE) for x, y in PEERS]


def inside(kind, g, x, y):
    if kind == 'circle':
        cx, cy, r = g
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    x1, y1, x2, y2, width = g
    dx, dy = x2 - x1, y2 - y1
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return (x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2 <= (width / 2) ** 2


def pixel(px, py, samples=4):
    """Colour and coverage of one pixel, from samples x samples points (smooth edges)."""
    r = g = b = a = 0.0
    for sy in range(samples):
        for sx in range(samples):
            x, y = px + (sx + 0.5) / samples, py + (sy + 0.5) / samples
            colour = None
            for kind, geometry, fill in SHAPES:
                if inside(kind, geometry, x, y):
                    colour = fill
            if colour:
                r, g, b, a = r + colour[0], g + colour[1], b + colour[2], a + 1
    n = samples * samples
    if a == 0:
        return (0, 0, 0, 0)
    return (round(r / a), round(g / a), round(b / a), round(255 * a / n))


def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b''.join(b'\x00' + bytes(channel for p in row for channel in p) for row in rows)
    header = struct.pack('>IIBBBBB', width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')


def svg():
    hexed = lambda c: '#%02x%02x%02x' % c
    parts = []
    for kind, g, fill in SHAPES:
        if kind == 'circle':
            parts.append(f'<circle cx="{g[0]:g}" cy="{g[1]:g}" r="{g[2]:g}" fill="{hexed(fill)}"/>')
        else:
            parts.append(f'<line x1="{g[0]:g}" y1="{g[1]:g}" x2="{g[2]:.1f}" y2="{g[3]:.1f}" stroke="{hexed(fill)}" stroke-width="{g[4]:g}" stroke-linecap="round"/>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}">{"".join(parts)}</svg>\n'


if __name__ == '__main__':
    here = Path(__file__).resolve().parent
    (here / 'icon.svg').write_text(svg())
    (here / 'icon.png').write_bytes(png(SIZE, SIZE, [[pixel(x, y) for x in range(SIZE)] for y in range(SIZE)]))
