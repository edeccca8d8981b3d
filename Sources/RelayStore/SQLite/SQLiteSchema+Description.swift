import Foundation
import GRDB

extension SchemaDescription {
    /// The schema of the SQLite database at `path`, read on a connection of its own (a store may have the
    /// file open meanwhile: WAL lets both read). Never creates the file.
    public static func sqlite(path: String) async throws -> SchemaDescription {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notFound("no SQLite database at \(path)") }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try await queue.read { db in try SQLiteSchema.describe(db) }
    }
}

extension SQLiteSchema {
    /// `sqlite_master` and the table_info, index_list and index_info pragmas of every table, folded.
    static func describe(_ db: Database) throws -> SchemaDescription {
        // sqlite_sequence (AUTOINCREMENT's counters) and GRDB's bookkeeping are not the relay's tables.
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master
            WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations' ORDER BY name
            """)
        var columns: [SchemaDescription.CatalogColumn] = []
        var indexes: [SchemaDescription.CatalogIndex] = []
        for table in tables {
            let columnRows = try Row.fetchAll(db, sql: """
                SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid
                """, arguments: [table])
            for row in columnRows {
                let name: String = row["name"]
                let declared: String = row["type"]
                let notNull: Int = row["notnull"]
                let primaryKey: Int = row["pk"]
                columns.append(SchemaDescription.CatalogColumn(table: table, name: name, type: .sqlite(declared: declared),
                                                               notNull: notNull != 0, primaryKey: primaryKey != 0))
            }
            // origin: "c" made by CREATE INDEX, "u" by a UNIQUE constraint, "pk" by a PRIMARY KEY not an INTEGER one.
            let indexRows = try Row.fetchAll(db, sql: """
                SELECT name, "unique", origin, partial FROM pragma_index_list(?)
                """, arguments: [table])
            for row in indexRows {
                let name: String = row["name"]
                let unique: Int = row["unique"]
                let origin: String = row["origin"]
                let partial: Int = row["partial"]
                let indexColumns = try String.fetchAll(db, sql: """
                    SELECT coalesce(name, '(expression)') FROM pragma_index_info(?) ORDER BY seqno
                    """, arguments: [name])
                let made: SchemaDescription.CatalogIndex.Origin = switch origin {
                case "pk": .primaryKey
                case "u": .uniqueConstraint
                default: .createIndex
                }
                indexes.append(SchemaDescription.CatalogIndex(name: name, table: table, columns: indexColumns, unique: unique != 0,
                                                              partial: partial != 0, origin: made))
            }
        }
        let versions = try db.tableExists("grdb_migrations") ? String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
        return SchemaDescription(columns: columns, indexes: indexes, versions: versions)
    }
}

extension SchemaDescription.TypeClass {
    /// A declared type's affinity, by SQLite's rules in their order (https://sqlite.org/datatype3.html, 3.1):
    /// what SQLite stores, whatever the declaration says.
    static func sqlite(declared: String) -> Self {
        let type = declared.uppercased()
        if type.contains("INT") { return .integer }
        if ["CHAR", "CLOB", "TEXT"].contains(where: { type.contains($0) }) { return .text }
        if type.isEmpty || type.contains("BLOB") { return .blob }
        if ["REAL", "FLOA", "DOUB"].contains(where: { type.contains($0) }) { return .real }
        return .numeric
    }
}
