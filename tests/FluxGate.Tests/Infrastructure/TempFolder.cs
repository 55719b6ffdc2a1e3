namespace FluxGate.Tests.Infrastructure;

/// <summary>
/// A new folder under /tmp that others may enter: as root, the local PostgreSQL runs as the postgres user, and
/// Directory.CreateTempSubdirectory's folders are closed to others (the AppHost would move the data to /var/tmp).
/// </summary>
public static class TempFolder
{
    private const UnixFileMode OpenToOthers = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);
        return OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(path).FullName
            : Directory.CreateDirectory(path, OpenToOthers).FullName;
    }
}
