namespace FluxGate.Api.Orders;

/// <summary>What the order script did with the confirm of an order Kafka has (order_batch.lua's answer per confirm).</summary>
public enum ConfirmOutcome
{
    /// <summary>Nothing here: the product is gone from Redis (the admin restore brings it back), or the order was decided
    /// in another stock bucket (the product was initialized again with another split meanwhile).</summary>
    NotHere = 0,

    /// <summary>The reservation became an accepted order: its key answers "duplicate" from now on.</summary>
    Confirmed = 1,

    /// <summary>Confirmed by an earlier attempt whose answer was lost (a retry).</summary>
    AlreadyConfirmed = 2,

    /// <summary>Redis had lost the reservation (a failover to a replica that lacked it); the same call took a unit again
    /// and set the key, so the books hold.</summary>
    LostAndHealed = 3,

    /// <summary>Redis had lost the reservation and another order took its unit or its key meanwhile: counted in the
    /// product's ledger (<c>oversold</c>, <c>keysReused</c>); the books cannot be healed.</summary>
    LostNotHealable = 4,
}
