"""What Redis's append-only file holds per command and key shape: the write volume behind each accepted order.

    python3 bench/harness/aof_bytes.py <state>/redis/appendonlydir/appendonly.aof.<n>.incr.aof [orders]

The file is RESP (every write command as an array of bulk strings, MULTI/EXEC around a script's writes). Keys are
shown by shape: the hash tag as {p} (an order's status index as {#slot}), the idempotency key and order id as *. With the number of orders written meanwhile
(e.g. wrk's accepted count, with the status index `SET fg:{#slot}:order:*` as a check), it prints bytes per order too.
"""

import collections
import re
import sys


def shape(key):
    key = re.sub(r"\{#\d+\}", "{#slot}", key.decode("latin-1"))
    key = re.sub(r"\{[^}#][^}]*\}", "{p}", key)
    return re.sub(r"(:idem:|:order:|:cancelled:|:admitted:).*", r"\1*", key)


def commands(data):
    """(name, first key, bytes) per command of a RESP stream."""
    position = 0
    while position < len(data):
        if data[position:position + 1] != b"*":  # an inline line (none expected): skip it
            position = data.index(b"\n", position) + 1
            continue
        start = position
        end = data.index(b"\r\n", position)
        count = int(data[position + 1:end])
        position = end + 2
        arguments = []
        for _ in range(count):
            end = data.index(b"\r\n", position)
            length = int(data[position + 1:end])
            position = end + 2
            arguments.append(data[position:position + length])
            position += length + 2
        name = arguments[0].upper().decode()
        yield name, shape(arguments[1]) if len(arguments) > 1 and name not in ("MULTI", "EXEC", "SELECT") else "", position - start


def main():
    with open(sys.argv[1], "rb") as handle:
        data = handle.read()
    orders = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    volume, calls = collections.Counter(), collections.Counter()
    for name, key, size in commands(data):
        volume[(name, key)] += size
        calls[(name, key)] += 1
    total = sum(volume.values())
    print(f"{total:,} bytes" + (f", {total / orders:,.1f} per order ({orders:,} orders)" if orders else ""))
    for (name, key), size in volume.most_common():
        per_order = f"{size / orders:8.1f} B/order" if orders else ""
        print(f"{size:>14,} {100 * size / total:5.1f}% {calls[(name, key)]:>9,} calls {per_order} {name} {key}")


if __name__ == "__main__":
    main()
