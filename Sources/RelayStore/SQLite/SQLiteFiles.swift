import Foundation

/// The SQLite files hold endpoint secrets and static header values: the folder is made 0700 and the
/// database 0600 before SQLite opens it. SQLite gives its -wal and -shm files the database file's mode.
enum SQLiteFiles {
    static func prepare(path: String) throws {
        let manager = FileManager.default
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        if !manager.fileExists(atPath: directory.path) {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StoreError.unavailable("cannot create the database file \(path): check that its folder is writable")
            }
        }
        // A database made by an earlier version (0644): tighten it and its companions.
        for file in [path, path + "-wal", path + "-shm"] where manager.fileExists(atPath: file) {
            let mode = (try? manager.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? 0
            if mode & 0o077 != 0 { try? manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file) }
        }
    }
}
