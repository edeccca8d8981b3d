import GRDB

/// The versioned schema of the SQLite store: `Migrations.all` in SQLite's types, one GRDB migration per
/// version under the same name (the names a SQLite database has always recorded in `grdb_migrations`).
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Migrations.all {
            let statements = migration.render(.sqlite)
            migrator.registerMigration(migration.version) { db in
                for statement in statements { try db.execute(sql: statement) }
            }
        }
        return migrator
    }
}
