import Foundation
import GRDB
import WickCore

extension RunLedger {
  /// The plugin texts of each of the run's script versions, in `scriptVersions` order, by
  /// module name; nil for a version recorded before plugins were (its plugins come from disk).
  public func versionPlugins(run: Int64) throws -> [[String: String]?] {
    try database.read { db in
      try Row.fetchAll(
        db, sql: "SELECT plugins_json FROM script_versions WHERE run_id = ? ORDER BY rowid",
        arguments: [run]
      ).map { row -> [String: String]? in
        guard let json: String = row["plugins_json"] else { return nil }
        guard
          let hashes = try JSONSerialization.jsonObject(with: Data(json.utf8))
            as? [String: String]
        else { throw WickError.data("run \(run): plugins_json is not {module: hash}: \(json)") }
        var texts: [String: String] = [:]
        for (name, hash) in hashes {
          guard
            let text = try String.fetchOne(
              db, sql: "SELECT text FROM script_sources WHERE script_hash = ?", arguments: [hash])
          else {
            throw WickError.data("run \(run): plugin \(name) (\(hash)) is not recorded")
          }
          texts[name] = text
        }
        return texts
      }
    }
  }
}
