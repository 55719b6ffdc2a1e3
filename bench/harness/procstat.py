"""CPU time and memory of the graph's processes, read from /proc.

CPU seconds are utime+stime deltas. For PostgreSQL the server is the postmaster plus every backend
it forked: the sum over the live ones, plus the postmaster's cutime+cstime for backends that exited;
the same for redis-server and the children it forks to rewrite its append-only file.
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


def argv(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return [part.decode(errors="replace") for part in handle.read().split(b"\0") if part]
    except OSError:
        return []


def _parent_comm(pid):
    try:
        return comm(parent_of(pid))
    except OSError:
        return None


def redis_port(pid):
    """The port in a redis-server's process title (`redis-server 127.0.0.1:6379 [cluster]`), or None."""
    args = argv(pid)
    title = " ".join(args)
    for word in title.split():
        host, _, port = word.rpartition(":")
        if host and port.isdigit():
            return int(port)
    for i, arg in enumerate(args):  # not retitled (yet): --port N
        if arg == "--port" and i + 1 < len(args) and args[i + 1].isdigit():
            return int(args[i + 1])
    return None


def dcp_roots(apphost_pid):
    """Aspire's orchestrator for an AppHost: `dcp start-apiserver --monitor <AppHost pid>`. It is not a descendant of
    the AppHost (it leaves the AppHost's process tree for init's); every process of the graph is one of its."""
    roots = []
    for pid in all_pids():
        args = argv(pid)
        if not args or os.path.basename(args[0]) != "dcp":
            continue
        for i, arg in enumerate(args):
            value = arg.split("=", 1)[1] if arg.startswith("--monitor=") else args[i + 1] if arg == "--monitor" and i + 1 < len(args) else None
            if value == str(apphost_pid):
                roots.append(pid)
    return roots


def graph_pids(apphost_pid):
    """Every live process of an AppHost's graph: the AppHost, its descendants, DCP and everything DCP started."""
    found = [apphost_pid] + descendants(apphost_pid)
    for root in dcp_roots(apphost_pid):
        found += [root] + descendants(root)
    return [pid for pid in dict.fromkeys(found) if alive(pid)]


class Graph:
    """The processes of one AppHost run (bench/lib.sh), by role:

    api, persister, waitingroom  the service processes themselves (…/bin/Release/net10.0/FluxGate.Api), not the
                                 `dotnet run` that Aspire starts each one with;
    redis, postgres              redis-server and its AOF-rewrite children; the postmaster plus every backend
                                 (children: live ones, and those reaped);
    redis:<port>                 on a Redis Cluster (FluxGate:RedisTopology=Cluster) one role per master instead of
                                 `redis`, by the port its title shows (`redis-server 127.0.0.1:<port> [cluster]`);
    apphost                      the AppHost process, which hosts the librdkafka mock broker;
    dcp                          the rest: Aspire's orchestrator (dcp start-apiserver, run-controllers, one
                                 monitor-process per resource), the `dotnet run` wrappers, postgres.sh's bash.
    """

    SERVICES = {"FluxGate.Api": "api", "FluxGate.Persister": "persister", "FluxGate.WaitingRoom": "waitingroom"}
    GROUPS = ("dcp",)

    def __init__(self, apphost_pid):
        self.pids = {"apphost": apphost_pid}
        self.members = {"dcp": []}
        roots = dcp_roots(apphost_pid)
        if roots:
            self.pids["dcp"] = roots[0]
        redis_servers = []
        for pid in graph_pids(apphost_pid):
            if pid == apphost_pid:
                continue
            args = argv(pid)
            executable = os.path.basename(args[0]) if args else ""
            try:
                name, parent = comm(pid), comm(parent_of(pid))
            except OSError:
                continue  # gone meanwhile
            if executable in self.SERVICES:
                self.pids[self.SERVICES[executable]] = pid
            elif name == "redis-server":
                redis_servers.append(pid)
            elif name == "postgres":
                if parent != "postgres":
                    self.pids["postgres"] = pid  # the postmaster; backends are its children
            else:
                self.members["dcp"].append(pid)
        # One redis-server: `redis`. Several (the local cluster's masters; AOF-rewrite children are not graph members
        # of their own, they are children of a redis-server): `redis:<port>` each.
        masters = [pid for pid in redis_servers if _parent_comm(pid) != "redis-server"]
        if len(masters) == 1:
            self.pids["redis"] = masters[0]
        else:
            for pid in masters:
                self.pids[f"redis:{redis_port(pid) or pid}"] = pid

    def redis_roles(self):
        """`redis`, or the cluster's `redis:<port>` roles ordered by port."""
        return sorted((role for role in self.pids if role == "redis" or role.startswith("redis:")),
                      key=lambda role: int(role.split(":")[1]) if ":" in role and role.split(":")[1].isdigit() else 0)

    def missing(self, roles):
        return [role for role in roles if role not in self.pids]

    def _ticks(self, role):
        if role in self.GROUPS:
            # Per process: one that exits between two snapshots drops out instead of making the difference negative.
            return {pid: cpu_ticks(pid) for pid in self.members[role] if alive(pid)}
        pid = self.pids.get(role)
        if pid is None:
            return None
        if role == "postgres" or role == "redis" or role.startswith("redis:"):
            # Backends; Redis's AOF rewrite (and RDB save) children: live ones, and those it has reaped.
            return cpu_ticks(pid, include_reaped_children=True) + sum(cpu_ticks(child) for child in descendants(pid))
        return cpu_ticks(pid)

    def snapshot(self):
        """CPU ticks per role now, and the whole machine's; subtract two snapshots with cpu_seconds()."""
        ticks = {role: self._ticks(role) for role in self.pids}
        ticks["machine"] = machine_busy_ticks()
        return ticks


def _delta(before, after):
    if isinstance(before, dict):
        return sum(after[pid] - ticks for pid, ticks in before.items() if pid in after)
    return after - before


def cpu_seconds(before, after, extra=None):
    """Seconds per role between two snapshots; "other" is what the rest of the machine used meanwhile
    (other helpers' builds on a shared box), after taking out the graph, wrk and `extra` (role: seconds)."""
    seconds = {
        role: round(_delta(before[role], after[role]) / CLOCK_TICKS, 2)
        for role in before
        if role != "machine" and before[role] is not None and after.get(role) is not None
    }
    seconds.update(extra or {})
    machine = (after["machine"] - before["machine"]) / CLOCK_TICKS
    seconds["other"] = round(max(0.0, machine - sum(seconds.values())), 2)
    return seconds
