import Foundation

/// A store's schema as read back from its catalog, folded to what SQLite and PostgreSQL can be compared
/// on: tables with their columns (name, type class, NOT NULL, primary key, UNIQUE), indexes by name, and
/// the migration versions recorded. SchemaParityTests fails when the two stores' descriptions differ.
public struct SchemaDescription: Sendable, Equatable, CustomStringConvertible {
    /// How a column's values are stored, the dialects' names folded together: a boolean and every width
    /// of integer are `integer` (SQLite stores them so), DOUBLE PRECISION is `real`, BYTEA is `blob`.
    public enum TypeClass: Sendable, Equatable, CustomStringConvertible {
        case text, integer, real, blob, numeric
        /// A type neither store's schema uses, by the catalog's name.
        case other(String)

        public var description: String {
            switch self {
            case .text: "text"
            case .integer: "integer"
            case .real: "real"
            case .blob: "blob"
            case .numeric: "numeric"
            case .other(let name): name
            }
        }
    }

    public struct Column: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var type: TypeClass
        /// NOT NULL, or part of the primary key: PostgreSQL makes every primary key column NOT NULL, SQLite
        /// (an old bug kept for compatibility) only an INTEGER one, and a store never writes a NULL key.
        public var notNull: Bool
        public var primaryKey: Bool
        /// A UNIQUE constraint on the column alone. Each dialect names the index behind it its own way
        /// (`sqlite_autoindex_…`, `…_key`), so it is compared here rather than among the indexes.
        public var unique: Bool

        public var description: String {
            let parts: [String?] = [name, type.description, notNull ? "NOT NULL" : nil, primaryKey ? "PRIMARY KEY" : nil,
                                    unique ? "UNIQUE" : nil]
            return parts.compactMap { $0 }.joined(separator: " ")
        }
    }

    public struct Table: Sendable, Equatable {
        public var name: String
        /// In the order of the table's definition.
        public var columns: [Column]
    }

    public struct Index: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var table: String
        /// In the index's order.
        public var columns: [String]
        public var unique: Bool
        /// With a WHERE clause. The clauses themselves are not compared: PostgreSQL keeps a rewritten form.
        public var partial: Bool

        public var description: String {
            "\(unique ? "UNIQUE " : "")\(table)(\(columns.joined(separator: ", ")))\(partial ? " partial" : "")"
        }
    }

    /// By name.
    public var tables: [Table]
    /// By name; neither primary keys nor single-column UNIQUE constraints (see `Column`).
    public var indexes: [Index]
    /// The versions of `Migrations.all` the database records, in their order.
    public var versions: [String]
    /// Recorded versions the one list does not have: an earlier release's names, kept for its instances
    /// during a rolling upgrade (see `PostgresSchema.renamedVersions`). Not part of the comparison.
    public var earlierVersions: [String]

    public var description: String {
        var lines: [String] = []
        for table in tables {
            lines.append("table \(table.name)")
            lines += table.columns.map { "  \($0)" }
        }
        lines += indexes.map { "index \($0.name): \($0)" }
        lines.append("versions: \(versions.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }

    /// Every way `self` and `other` differ, one line each naming the table, column or index and what each
    /// side has; `labels` name the two sides (e.g. "SQLite", "PostgreSQL"). Empty when they agree.
    public func differences(from other: SchemaDescription, labels: (String, String) = ("this", "other")) -> [String] {
        let (mine, theirs) = labels
        func side<T: CustomStringConvertible>(_ value: T?) -> String { value.map(\.description) ?? "absent" }
        var found: [String] = []
        let myTables = Self.byName(tables, \.name), theirTables = Self.byName(other.tables, \.name)
        for name in Set(myTables.keys).union(theirTables.keys).sorted() {
            guard let myTable = myTables[name], let theirTable = theirTables[name] else {
                found.append("table \(name): \(mine) \(myTables[name] == nil ? "absent" : "present"), "
                             + "\(theirs) \(theirTables[name] == nil ? "absent" : "present")")
                continue
            }
            let myColumns = Self.byName(myTable.columns, \.name), theirColumns = Self.byName(theirTable.columns, \.name)
            for column in Set(myColumns.keys).union(theirColumns.keys).sorted() where myColumns[column] != theirColumns[column] {
                found.append("table \(name), column \(column): \(mine) \(side(myColumns[column])), \(theirs) \(side(theirColumns[column]))")
            }
        }
        let myIndexes = Self.byName(indexes, \.name), theirIndexes = Self.byName(other.indexes, \.name)
        for name in Set(myIndexes.keys).union(theirIndexes.keys).sorted() where myIndexes[name] != theirIndexes[name] {
            found.append("index \(name): \(mine) \(side(myIndexes[name])), \(theirs) \(side(theirIndexes[name]))")
        }
        if versions != other.versions {
            found.append("recorded versions: \(mine) [\(versions.joined(separator: ", "))], "
                         + "\(theirs) [\(other.versions.joined(separator: ", "))]")
        }
        return found
    }

    private static func byName<T>(_ items: [T], _ name: KeyPath<T, String>) -> [String: T] {
        Dictionary(items.map { ($0[keyPath: name], $0) }, uniquingKeysWith: { first, _ in first })
    }
}

// MARK: Folding a catalog

extension SchemaDescription {
    /// One column as a store's catalog lists it.
    struct CatalogColumn {
        var table: String
        var name: String
        var type: TypeClass
        var notNull: Bool
        var primaryKey: Bool
    }

    /// One index as a store's catalog lists it, with what made it.
    struct CatalogIndex {
        enum Origin { case primaryKey, uniqueConstraint, createIndex }
        var name: String
        var table: String
        var columns: [String]
        var unique: Bool
        var partial: Bool
        var origin: Origin
    }

    /// What both stores' readers hand over, folded the same way: primary key and UNIQUE constraint indexes
    /// become marks on their columns (a UNIQUE over several columns stays an index, named by its table and
    /// columns, since each dialect names it its own way).
    init(columns: [CatalogColumn], indexes: [CatalogIndex], versions: [String]) {
        var tables: [String: Table] = [:]
        for column in columns {
            tables[column.table, default: Table(name: column.table, columns: [])].columns.append(
                Column(name: column.name, type: column.type, notNull: column.notNull || column.primaryKey,
                       primaryKey: column.primaryKey, unique: false))
        }
        func mark(_ table: String, _ columnNames: [String], _ change: (inout Column) -> Void) {
            guard var columns = tables[table]?.columns else { return }
            for index in columns.indices where columnNames.contains(columns[index].name) { change(&columns[index]) }
            tables[table]?.columns = columns
        }
        var described: [Index] = []
        for index in indexes {
            switch index.origin {
            case .primaryKey:
                mark(index.table, index.columns) { $0.primaryKey = true; $0.notNull = true }
            case .uniqueConstraint where index.columns.count == 1:
                mark(index.table, index.columns) { $0.unique = true }
            case .uniqueConstraint:
                described.append(Index(name: "UNIQUE \(index.table)(\(index.columns.joined(separator: ", ")))", table: index.table,
                                       columns: index.columns, unique: true, partial: index.partial))
            case .createIndex:
                described.append(Index(name: index.name, table: index.table, columns: index.columns,
                                       unique: index.unique, partial: index.partial))
            }
        }
        let order = Dictionary(Migrations.all.enumerated().map { ($0.element.version, $0.offset) }, uniquingKeysWith: { first, _ in first })
        self.tables = tables.values.sorted { $0.name < $1.name }
        self.indexes = described.sorted { $0.name < $1.name }
        self.versions = versions.filter { order[$0] != nil }.sorted { order[$0]! < order[$1]! }
        self.earlierVersions = versions.filter { order[$0] == nil }.sorted()
    }
}
