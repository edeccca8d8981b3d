import Foundation
import Logging
import PostgresNIO

extension SchemaDescription {
    /// The schema of the PostgreSQL database at `url` (`postgres://…`), read on a connection of its own.
    /// No deadline of its own: meant for tests and an operator's command, not for the request path.
    public static func postgres(url: String, logger: Logger = Logger(label: "relay.store")) async throws -> SchemaDescription {
        var configuration = try PostgresLocation(url: url).clientConfiguration
        configuration.options.maximumConnections = 1
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: SchemaDescription.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await client.withConnection { connection in
                try await PostgresSchema.describe(connection, logger: logger)
            }
        }
    }
}

extension PostgresSchema {
    /// information_schema's columns and pg_index's indexes of the current schema's tables, folded.
    static func describe(_ connection: PostgresConnection, logger: Logger) async throws -> SchemaDescription {
        var columns: [SchemaDescription.CatalogColumn] = []
        let columnRows = try await connection.query("""
            SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable = 'NO'
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'relay_migrations'
            ORDER BY c.table_name, c.ordinal_position
            """, logger: logger).collect()
        for row in columnRows {
            let (table, name, dataType, notNull) = try row.decode((String, String, String, Bool).self)
            columns.append(SchemaDescription.CatalogColumn(table: table, name: name, type: .postgres(dataType),
                                                           notNull: notNull, primaryKey: false))
        }
        // An index's columns by position in indkey (0-based); an expression has attnum 0 and no attribute.
        // A UNIQUE constraint is the pg_constraint row of type 'u' that owns the index.
        var indexes: [SchemaDescription.CatalogIndex] = []
        let indexRows = try await connection.query("""
            SELECT ic.relname::text, tc.relname::text, i.indisunique, i.indisprimary, i.indpred IS NOT NULL,
                   EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype = 'u'),
                   coalesce((SELECT string_agg(coalesce(a.attname::text, '(expression)'), ',' ORDER BY seq)
                             FROM generate_series(0, i.indnatts - 1) AS seq
                             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[seq]), '')
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class tc ON tc.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = tc.relnamespace
            WHERE n.nspname = current_schema() AND tc.relkind = 'r' AND tc.relname <> 'relay_migrations'
            ORDER BY ic.relname
            """, logger: logger).collect()
        for row in indexRows {
            let (name, table, unique, primary, partial, constraint, columnList) =
                try row.decode((String, String, Bool, Bool, Bool, Bool, String).self)
            let origin: SchemaDescription.CatalogIndex.Origin = primary ? .primaryKey : constraint ? .uniqueConstraint : .createIndex
            indexes.append(SchemaDescription.CatalogIndex(name: name, table: table, columns: columnList.split(separator: ",").map(String.init),
                                                          unique: unique, partial: partial, origin: origin))
        }
        let hasVersions = try await connection.query("SELECT to_regclass('relay_migrations') IS NOT NULL", logger: logger)
            .collect().first?.decode(Bool.self) ?? false
        var versions: [String] = []
        if hasVersions {
            versions = try await connection.query("SELECT version FROM relay_migrations", logger: logger)
                .collect().map { try $0.decode(String.self) }
        }
        return SchemaDescription(columns: columns, indexes: indexes, versions: versions)
    }
}

extension SchemaDescription.TypeClass {
    /// information_schema's `data_type`, folded as `TypeClass` says.
    static func postgres(_ dataType: String) -> Self {
        switch dataType {
        case "text", "character varying", "character": .text
        case "integer", "bigint", "smallint", "boolean": .integer
        case "double precision", "real": .real
        case "bytea": .blob
        case "numeric": .numeric
        default: .other(dataType)
        }
    }
}
