using FluxGate.Contracts;
using FluxGate.Persister.Decoding;
using Npgsql;
using NpgsqlTypes;

namespace FluxGate.Persister.Writing;

/// <summary>
/// Applies a batch of order messages in ONE transaction with a fixed number of round trips, whatever the batch
/// size: claim the partitions' applied offsets, then one set-based statement per kind of change (unnest arrays),
/// then store the final product rows, the dead letters and the new offsets, then commit.
/// </summary>
/// <remarks>
/// Exactly-once in effect rests on two things written in the same transaction: <c>orders.id</c> as primary key
/// (<c>ON CONFLICT DO NOTHING</c>, stock taken only for rows actually inserted) and <c>applied_offsets</c>, which
/// lets a replayed message (crash between the database commit and the Kafka commit, or a rebalance) be skipped
/// whole, so a replayed <see cref="StockInitialized"/> cannot reset a stock that later orders already reduced.
/// The offsets row is locked first, so two persisters that briefly hold the same partition during a rebalance
/// apply its messages one after the other, never both. Synchronous on purpose: it runs on the consumer's
/// dedicated thread.
/// </remarks>
public sealed class OrderBatchWriter(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Applies the batch in one transaction. If the database refuses something in it (see
    /// <see cref="WriteFailures.IsCausedByData"/>), applies it again one message per transaction, in order, and
    /// dead-letters each message that is refused on its own, so one bad message cannot block its partition.
    /// </summary>
    /// <exception cref="NpgsqlException">The database is unreachable or failed; what is not committed is to be retried.</exception>
    public BatchOutcome Write(IReadOnlyList<OrderMessage> batch)
    {
        try
        {
            return WriteTogether(batch);
        }
        catch (Exception exception) when (WriteFailures.IsCausedByData(exception) && batch.Count > 1)
        {
            var outcome = new BatchOutcome { RefusedTogether = true };
            foreach (var message in batch)
            {
                outcome = outcome.Add(Write([message]));
            }
            return outcome;
        }
        catch (Exception exception) when (WriteFailures.IsCausedByData(exception))
        {
            return DeadLetter(batch[0], $"The database refused it: {exception.Message}");
        }
    }

    private BatchOutcome WriteTogether(IReadOnlyList<OrderMessage> batch)
    {
        if (batch.Count == 0)
        {
            return BatchOutcome.Empty;
        }

        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();

        var appliedUpTo = ClaimPartitions(connection, transaction, batch);
        var fresh = batch.Where(message => message.Offset >= appliedUpTo[(message.Topic, message.Partition)]).ToList();

        var outcome = fresh.Count == 0
            ? new BatchOutcome()
            : Apply(connection, transaction, fresh);

        AdvanceOffsets(connection, transaction, batch);
        transaction.Commit();
        return outcome with { Received = batch.Count, AlreadyApplied = batch.Count - fresh.Count };
    }

    /// <summary>Stores one message the database refused in <c>dead_letters</c> and moves its partition past it.</summary>
    private BatchOutcome DeadLetter(OrderMessage message, string error)
    {
        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();

        var batch = new[] { message };
        var appliedUpTo = ClaimPartitions(connection, transaction, batch);
        var alreadyApplied = message.Offset < appliedUpTo[(message.Topic, message.Partition)];
        DeadLetter[] deadLetters = alreadyApplied ? [] : [new DeadLetter(message.Source, error)];
        using (var insert = new NpgsqlBatch(connection, transaction))
        {
            insert.BatchCommands.Add(InsertDeadLetters(alreadyApplied ? [] : [(message, error)]));
            insert.ExecuteNonQuery();
        }

        AdvanceOffsets(connection, transaction, batch);
        transaction.Commit();
        return new BatchOutcome { Received = 1, AlreadyApplied = alreadyApplied ? 1 : 0, DeadLetters = deadLetters };
    }

    /// <summary>
    /// A partition whose recorded offset is beyond the topic's end belongs to an earlier incarnation of the topic
    /// (deleted and recreated, or an in-memory development broker restarted): forget it, or every message of the
    /// new topic below that offset would be skipped as already applied.
    /// </summary>
    /// <returns>The partitions whose stale offset was forgotten.</returns>
    public IReadOnlyList<(string Topic, int Partition, long StaleOffset)> ForgetOffsetsBeyond(
        IReadOnlyList<(string Topic, int Partition, long HighWatermark)> ends)
    {
        using var command = dataSource.CreateCommand(
            """
            DELETE FROM applied_offsets AS a
            USING unnest($1::text[], $2::integer[], $3::bigint[]) AS e(topic, "partition", high_watermark)
            WHERE a.topic = e.topic AND a."partition" = e."partition" AND a.next_offset > e.high_watermark
            RETURNING a.topic, a."partition", a.next_offset
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = ends.Select(end => end.Topic).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ends.Select(end => end.Partition).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ends.Select(end => end.HighWatermark).ToArray() });

        var forgotten = new List<(string, int, long)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            forgotten.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2)));
        }
        return forgotten;
    }

    private static Dictionary<(string Topic, int Partition), long> ClaimPartitions(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<OrderMessage> batch)
    {
        var partitions = batch.Select(message => (message.Topic, message.Partition)).Distinct()
            .OrderBy(partition => partition.Topic, StringComparer.Ordinal).ThenBy(partition => partition.Partition)
            .ToArray();
        var topics = partitions.Select(partition => partition.Topic).ToArray();
        var numbers = partitions.Select(partition => partition.Partition).ToArray();

        using var claim = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command(
                    """
                    INSERT INTO applied_offsets (topic, "partition", next_offset, updated_at)
                    SELECT topic, "partition", 0, now() FROM unnest($1::text[], $2::integer[]) AS claimed(topic, "partition")
                    ON CONFLICT (topic, "partition") DO NOTHING
                    """, topics, numbers),
                // Locked in a fixed order, so two persisters claiming overlapping partitions cannot deadlock.
                Command(
                    """
                    SELECT a.topic, a."partition", a.next_offset
                    FROM applied_offsets AS a
                    JOIN unnest($1::text[], $2::integer[]) AS claimed(topic, "partition")
                      ON a.topic = claimed.topic AND a."partition" = claimed."partition"
                    ORDER BY a.topic, a."partition"
                    FOR UPDATE OF a
                    """, topics, numbers),
            },
        };

        var appliedUpTo = new Dictionary<(string, int), long>();
        claim.Prepare();
        using var reader = claim.ExecuteReader();
        while (reader.Read())
        {
            appliedUpTo[(reader.GetString(0), reader.GetInt32(1))] = reader.GetInt64(2);
        }
        return appliedUpTo;
    }

    private static BatchOutcome Apply(NpgsqlConnection connection, NpgsqlTransaction transaction, List<OrderMessage> messages)
    {
        var orders = messages.Select(message => message.Event).OfType<OrderAccepted>().ToList();
        var cancels = messages.Select(message => message.Event).OfType<OrderCancelled>().ToList();
        var productIds = messages.Select(message => message.Event?.ProductId).OfType<string>().Distinct().ToArray();

        List<ProductStock> current = [];
        HashSet<Guid> inserted = [];
        Dictionary<Guid, string> cancelTargets = [];
        HashSet<Guid> cancelled = [];

        using (var apply = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command("SELECT id, stock, initial_stock, initialized_at, starts_at FROM products WHERE id = ANY($1) ORDER BY id FOR UPDATE", productIds),
                Command(
                    """
                    INSERT INTO orders (id, product_id, user_id, idempotency_key, accepted_at, signed_in)
                    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::boolean[])
                    ON CONFLICT (id) DO NOTHING
                    RETURNING id
                    """,
                    orders.Select(order => order.OrderId).ToArray(),
                    orders.Select(order => order.ProductId).ToArray(),
                    orders.Select(order => order.UserId).ToArray(),
                    orders.Select(order => (string?)order.IdempotencyKey).ToArray(),
                    orders.Select(order => order.AcceptedAt.UtcDateTime).ToArray(),
                    orders.Select(order => order.SignedIn).ToArray()),
            },
        })
        {
            // Most batches hold no cancel: their two statements are sent only when one does.
            if (cancels.Count > 0)
            {
                // Read after the insert: a cancel may follow its order within the same batch.
                apply.BatchCommands.Add(Command("SELECT id, product_id FROM orders WHERE id = ANY($1)", cancels.Select(cancel => cancel.OrderId).ToArray()));
                apply.BatchCommands.Add(Command(
                    """
                    UPDATE orders AS o SET status = 'cancelled'
                    FROM unnest($1::uuid[], $2::text[]) AS c(id, product_id)
                    WHERE o.id = c.id AND o.product_id = c.product_id AND o.status = 'accepted'
                    RETURNING o.id
                    """,
                    cancels.Select(cancel => cancel.OrderId).ToArray(),
                    cancels.Select(cancel => cancel.ProductId).ToArray()));
            }
            using var reader = PrepareAndRead(apply);
            while (reader.Read())
            {
                current.Add(new ProductStock(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
            }
            reader.NextResult();
            while (reader.Read())
            {
                inserted.Add(reader.GetGuid(0));
            }
            if (cancels.Count > 0)
            {
                reader.NextResult();
                while (reader.Read())
                {
                    cancelTargets[reader.GetGuid(0)] = reader.GetString(1);
                }
                reader.NextResult();
                while (reader.Read())
                {
                    cancelled.Add(reader.GetGuid(0));
                }
            }
        }

        // Walk the batch in Kafka order. Each id is taken out of its set when used, so an event repeated inside
        // the batch changes stock only once.
        var ledger = new StockLedger(current);
        var deadLetters = new List<(OrderMessage Message, string Error)>();
        int initializations = 0, ordersInserted = 0, duplicates = 0, ordersCancelled = 0, repeatedCancels = 0;
        foreach (var message in messages)
        {
            switch (message.Event)
            {
                case null:
                    deadLetters.Add((message, message.PoisonReason!));
                    break;
                case StockInitialized init:
                    ledger.Initialize(init.ProductId, init.Quantity, init.InitializedAt, init.StartsAt);
                    initializations++;
                    break;
                case OrderAccepted order when inserted.Remove(order.OrderId):
                    ledger.Take(order.ProductId, order.OrderId);
                    ordersInserted++;
                    break;
                case OrderAccepted:
                    duplicates++;
                    break;
                case OrderCancelled cancel:
                    if (!cancelTargets.TryGetValue(cancel.OrderId, out var orderProduct))
                    {
                        deadLetters.Add((message, $"Cancel of order {cancel.OrderId}, which is not in the orders table."));
                    }
                    else if (orderProduct != cancel.ProductId)
                    {
                        deadLetters.Add((message,
                            $"Cancel of order {cancel.OrderId} names product '{cancel.ProductId}', but the order is for '{orderProduct}'."));
                    }
                    else if (cancelled.Remove(cancel.OrderId))
                    {
                        ledger.Return(cancel.ProductId, cancel.OrderId);
                        ordersCancelled++;
                    }
                    else
                    {
                        repeatedCancels++; // already cancelled: nothing changes, no unit given back twice
                    }
                    break;
            }
        }

        var changed = ledger.Changed.ToList();
        using (var finish = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command(
                    """
                    INSERT INTO products (id, stock, initial_stock, initialized_at, starts_at, updated_at)
                    SELECT id, stock, initial_stock, initialized_at, starts_at, now()
                    FROM unnest($1::text[], $2::integer[], $3::integer[], $4::timestamptz[], $5::timestamptz[])
                        AS p(id, stock, initial_stock, initialized_at, starts_at)
                    ON CONFLICT (id) DO UPDATE
                    SET stock = excluded.stock, initial_stock = excluded.initial_stock, initialized_at = excluded.initialized_at,
                        starts_at = excluded.starts_at, updated_at = excluded.updated_at
                    """,
                    changed.Select(product => product.ProductId).ToArray(),
                    changed.Select(product => product.Stock).ToArray(),
                    changed.Select(product => product.InitialStock).ToArray(),
                    changed.Select(product => product.InitializedAt?.UtcDateTime).ToArray(),
                    changed.Select(product => product.StartsAt?.UtcDateTime).ToArray()),
            },
        })
        {
            if (deadLetters.Count > 0)
            {
                finish.BatchCommands.Add(InsertDeadLetters(deadLetters));
            }
            finish.Prepare();
            finish.ExecuteNonQuery();
        }

        return new BatchOutcome
        {
            StockInitializations = initializations,
            OrdersInserted = ordersInserted,
            DuplicateOrders = duplicates,
            OrdersCancelled = ordersCancelled,
            RepeatedCancels = repeatedCancels,
            DeadLetters = deadLetters.Select(letter => new DeadLetter(letter.Message.Source, letter.Error)).ToList(),
            Inconsistencies = ledger.Inconsistencies,
        };
    }

    private static NpgsqlBatchCommand InsertDeadLetters(IReadOnlyList<(OrderMessage Message, string Error)> deadLetters) =>
        Command(
            """
            INSERT INTO dead_letters (topic, "partition", "offset", key, payload, error)
            SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bytea[], $5::bytea[], $6::text[])
            ON CONFLICT (topic, "partition", "offset") DO NOTHING
            """,
            deadLetters.Select(letter => letter.Message.Topic).ToArray(),
            deadLetters.Select(letter => letter.Message.Partition).ToArray(),
            deadLetters.Select(letter => letter.Message.Offset).ToArray(),
            deadLetters.Select(letter => letter.Message.Key).ToArray(),
            deadLetters.Select(letter => letter.Message.Payload).ToArray(),
            // An error text quoting the message could carry a NUL, which text columns refuse.
            deadLetters.Select(letter => letter.Error.Replace('\0', '\uFFFD')).ToArray());

    private static void AdvanceOffsets(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<OrderMessage> batch)
    {
        var next = batch.GroupBy(message => (message.Topic, message.Partition))
            .Select(partition => (partition.Key.Topic, partition.Key.Partition, Next: partition.Max(message => message.Offset) + 1))
            .ToList();
        using var advance = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command(
                    """
                    UPDATE applied_offsets AS a
                    SET next_offset = greatest(a.next_offset, n.next_offset), updated_at = now()
                    FROM unnest($1::text[], $2::integer[], $3::bigint[]) AS n(topic, "partition", next_offset)
                    WHERE a.topic = n.topic AND a."partition" = n."partition"
                    """,
                    next.Select(partition => partition.Topic).ToArray(),
                    next.Select(partition => partition.Partition).ToArray(),
                    next.Select(partition => partition.Next).ToArray()),
            },
        };
        advance.Prepare();
        advance.ExecuteNonQuery();
    }

    private static NpgsqlDataReader PrepareAndRead(NpgsqlBatch batch)
    {
        batch.Prepare();
        return batch.ExecuteReader();
    }

    private static NpgsqlBatchCommand Command(string sql, params Array[] arrays)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var array in arrays)
        {
            command.Parameters.Add(array switch
            {
                // Explicit types where inference could guess wrong (timestamps) or cannot see through nulls.
                DateTime[] times => new NpgsqlParameter { Value = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                DateTime?[] times => new NpgsqlParameter { Value = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
                byte[]?[] bytes => new NpgsqlParameter { Value = bytes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
                string?[] texts => new NpgsqlParameter { Value = texts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                _ => new NpgsqlParameter { Value = array },
            });
        }
        return command;
    }
}
