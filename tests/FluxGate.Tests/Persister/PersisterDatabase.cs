using Npgsql;

namespace FluxGate.Tests.Persister;

/// <summary>Reads what the persister wrote, for assertions.</summary>
public static class PersisterDatabase
{
    public static async Task<T> ScalarAsync<T>(this NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static Task<long> OrderCountAsync(this NpgsqlDataSource dataSource, string? productId = null) =>
        productId is null
            ? dataSource.ScalarAsync<long>("SELECT count(*) FROM orders")
            : dataSource.ScalarAsync<long>("SELECT count(*) FROM orders WHERE product_id = $1", productId);

    public static async Task<(int Stock, int InitialStock)?> ProductAsync(this NpgsqlDataSource dataSource, string productId)
    {
        await using var command = dataSource.CreateCommand("SELECT stock, initial_stock FROM products WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = productId });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt32(0), reader.GetInt32(1)) : null;
    }

    public static Task<string> OrderStatusAsync(this NpgsqlDataSource dataSource, Guid orderId) =>
        dataSource.ScalarAsync<string>("SELECT status FROM orders WHERE id = $1", orderId);

    public static Task<long> DeadLetterCountAsync(this NpgsqlDataSource dataSource) =>
        dataSource.ScalarAsync<long>("SELECT count(*) FROM dead_letters");
}
