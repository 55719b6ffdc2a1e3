namespace FluxGate.Contracts;

public static class Topics
{
    /// <summary>Every order event; key = product id.</summary>
    public const string Orders = "orders";
}
