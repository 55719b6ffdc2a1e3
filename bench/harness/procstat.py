"""CPU time and memory of the graph's processes, read from /proc.

CPU seconds are utime+stime deltas. For PostgreSQL the server is the postmaster plus every backend
it forked: the sum over the live ones, plus the postmaster's cutime+cstime for backends that exited.
"""

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as handle:
        text = handle.read()
    # comm may contain spaces and parentheses: the fields after it start behind the last ')'.
    close = text.rindex(")")
    comm = text[text.index("(") + 1:close]
    return comm, text[close + 2:].split()


def parent_of(pid):
    _, fields = _stat_fields(pid)
    return int(fields[1])


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def comm(pid):
    return _stat_fields(pid)[0]


def alive(pid):
    try:
        _, fields = _stat_fields(pid)
        return fields[0] != "Z"
    except OSError:
        return False


def all_pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def descendants(root):
    """Every live descendant of root (not root itself)."""
    children = {}
    for pid in all_pids():
        try:
            children.setdefault(parent_of(pid), []).append(pid)
        except OSError:
            continue
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def cpu_ticks(pid, include_reaped_children=False):
    """utime+stime of pid (and cutime+cstime: children it has waited for)."""
    try:
        _, fields = _stat_fields(pid)
    except OSError:
        return 0
    # fields[0] is state (field 3 of stat); utime is field 14, stime 15, cutime 16, cstime 17.
    ticks = int(fields[11]) + int(fields[12])
    if include_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def peak_rss_mb(pid):
    """VmHWM: the highest resident set since start (or since reset_peak_rss)."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return None


def reset_peak_rss(pid):
    """Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0); False if not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def machine_busy_ticks():
    """CPU ticks all processes of the machine spent (user, nice, system, irq, softirq, steal) since boot."""
    with open("/proc/stat") as handle:
        fields = handle.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


class Graph:
    """The processes of one DevHost run, found as descendants of the DevHost process."""

    MARKERS = {
        "api": "FluxGate.Api.dll",
        "persister": "FluxGate.Persister.dll",
        "waitingroom": "FluxGate.WaitingRoom.dll",
    }

    def __init__(self, devhost_pid):
        self.pids = {"devhost": devhost_pid}
        self.postgres_backends_root = None
        for pid in descendants(devhost_pid):
            line = cmdline(pid)
            name = comm(pid) if alive(pid) else ""
            for role, marker in self.MARKERS.items():
                if marker in line:
                    self.pids[role] = pid
            if name == "redis-server":
                self.pids.setdefault("redis", pid)
            if name == "postgres" and comm(parent_of(pid)) != "postgres":
                self.pids["postgres"] = pid  # the postmaster; backends are its children

    def missing(self, roles):
        return [role for role in roles if role not in self.pids]

    def _ticks(self, role):
        pid = self.pids.get(role)
        if pid is None:
            return None
        if role == "postgres":
            return cpu_ticks(pid, include_reaped_children=True) + sum(cpu_ticks(child) for child in descendants(pid))
        return cpu_ticks(pid)

    def snapshot(self):
        """CPU ticks per role now, and the whole machine's; subtract two snapshots with cpu_seconds()."""
        ticks = {role: self._ticks(role) for role in self.pids}
        ticks["machine"] = machine_busy_ticks()
        return ticks


def cpu_seconds(before, after, extra=None):
    """Seconds per role between two snapshots; "other" is what the rest of the machine used meanwhile
    (other helpers' builds on a shared box), after taking out the graph, wrk and `extra` (role: seconds)."""
    seconds = {
        role: round((after[role] - before[role]) / CLOCK_TICKS, 2)
        for role in before
        if role != "machine" and before[role] is not None and after.get(role) is not None
    }
    seconds.update(extra or {})
    machine = (after["machine"] - before["machine"]) / CLOCK_TICKS
    seconds["other"] = round(max(0.0, machine - sum(seconds.values())), 2)
    return seconds
