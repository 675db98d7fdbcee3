import Foundation
import GRDB
import Testing

@testable import WickData

/// `ledger.v7-command-kinds`: an existing ledger's commands survive the table's rebuild (ids
/// kept: a waiting `wick stop` polls its command by id), and `reset_account` is accepted.
@Suite struct CommandKindsSchemaTests {
  @Test func existingCommandsSurviveAndResetAccountIsAccepted() throws {
    let dir = try TemporaryDirectory()
    let path = dir.path("w.sqlite")
    // A ledger as it was before v7.
    let old = try CandleStore(path: path)
    try old.migrate { migrator in
      // The seven migrations before v7.
      for register in Ledger.schemas.prefix(7) { register(&migrator) }
    }
    let id = try old.database.write { db in
      try db.execute(
        sql:
          "INSERT INTO run_commands (run_id, kind, payload_json, source, created_at) VALUES (NULL, 'pause', '{}', 'cli', 1)"
      )
      return db.lastInsertedRowID
    }
    #expect(throws: (any Error).self) {
      try old.database.write { db in
        try db.execute(
          sql:
            "INSERT INTO run_commands (run_id, kind, source, created_at) VALUES (NULL, 'reset_account', 'cli', 2)"
        )
      }
    }
    let ledger = try RunLedger(store: try CandleStore(path: path))
    let kept = try #require(try ledger.command(id))
    #expect(kept.kind == "pause" && kept.status == "pending" && kept.source == "cli")
    let reset = try ledger.insertCommand(
      run: nil, kind: "reset_account", payloadJSON: #"{"account":"a","reason":"r"}"#,
      source: "dashboard")
    #expect(reset > id)
    #expect(try ledger.command(reset)?.kind == "reset_account")
    #expect(throws: (any Error).self) {
      try ledger.insertCommand(run: nil, kind: "format_disk", source: "x")
    }
  }
}
