using System.ComponentModel.DataAnnotations;

namespace FluxGate.Api.Options;

/// <summary>How the orders of one product share Redis calls, and when an api answers sold out by itself.</summary>
public sealed class OrderBatchingOptions
{
    public const string Section = "Orders";

    /// <summary>
    /// The most orders (decisions and confirms) of one product in one script call. Orders wait only while the product's
    /// previous call is in flight, so an idle gate still makes one call per order. 1 turns batching off.
    /// </summary>
    [Range(1, 1000)]
    public int MaxBatch { get; set; } = 128;

    /// <summary>
    /// Answer a product that Redis said is sold out with 409 without asking Redis again, once none of its idempotency
    /// keys can still be held (so a retry of an accepted order still gets "duplicate").
    /// </summary>
    public bool AnswerSoldOutLocally { get; set; } = true;

    /// <summary>
    /// How long a local sold-out answer stands before one order asks Redis again: the bound on how late a returned unit
    /// is noticed if its pub/sub message is lost (it normally clears the answer at once).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan SoldOutRecheck { get; set; } = TimeSpan.FromSeconds(1);
}
