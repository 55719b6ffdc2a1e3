using System.ComponentModel.DataAnnotations;

namespace FluxGate.Api.Options;

public sealed class WaitingRoomOptions
{
    public const string Section = "WaitingRoom";

    /// <summary>Public URL of the waiting room: the <c>Location</c> of a rate-limited order's 302.</summary>
    [Required(ErrorMessage = "WaitingRoom:Url is required: the public URL of the waiting room (env WaitingRoom__Url).")]
    public Uri? Url { get; set; }
}
