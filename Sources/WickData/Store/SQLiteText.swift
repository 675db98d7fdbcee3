import GRDBSQLite

/// Helpers for the few places that drive SQLite's C API directly (bulk insert, the read cursor).
enum SQLiteText {
  /// `SQLITE_TRANSIENT`: SQLite copies the bound text (the C macro is not importable into Swift).
  static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

  /// Binds a Swift string as UTF-8 text at the 1-based parameter `index`.
  static func bind(_ text: String, at index: Int32, in statement: OpaquePointer) -> Int32 {
    sqlite3_bind_text(statement, index, text, -1, transient)
  }

  /// The connection's last error message.
  static func message(_ connection: OpaquePointer?) -> String {
    guard let connection, let c = sqlite3_errmsg(connection) else { return "unknown SQLite error" }
    return String(cString: c)
  }
}
