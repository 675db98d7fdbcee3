import Foundation
import GRDB
import Testing
import WickCore

@testable import WickServer

/// The desk's `set_param` payloads and where it finds the run's script.
@Suite struct CommandDeskTests {
  @Test func severalParamsAreOneCommandAndOneRefusalRefusesThemAll() throws {
    let f = try LedgerFixture()
    let desk = CommandDesk(store: f.store)
    let both = try desk.check(
      run: f.paperRun, params: [("threshold", "0.002"), ("period", "30")], source: "test")
    #expect(both.kind == "set_param")
    // Several: one object the runner swaps in as one change.
    #expect(both.payloadJSON == #"{"params":{"threshold":0.002,"period":30}}"#)
    // One: the shape the dashboard's form and older runners use.
    let one = try desk.check(run: f.paperRun, params: [("period", "30")], source: "test")
    #expect(one.payloadJSON == #"{"name":"period","value":30}"#)
    for (changes, why) in [
      (
        [("period", "30"), ("threshold", "0.9")], "param 'threshold': 0.9 is above the maximum 0.05"
      ),
      ([("period", "30"), ("period", "35")], "param 'period' is given twice"),
      ([("period", "30"), ("nope", "1")], "unknown param 'nope'"),
    ] {
      #expect {
        try desk.check(run: f.paperRun, params: changes, source: "test")
      } throws: { "\($0)".contains(why) }
    }
  }

  @Test func aRelativeScriptPathIsReadFromTheCurrentDirectoryOrSaysWhyNot() throws {
    let f = try LedgerFixture()
    let desk = CommandDesk(store: f.store)
    // An older ledger's path as typed at `wick run`: it works from that directory, as before.
    try f.execute(
      "UPDATE runs SET script_path = 'strategies/ma_cross.lua' WHERE id = ?", [f.paperRun])
    #expect(
      try desk.check(run: f.paperRun, params: [("period", "30")], source: "test").payloadJSON
        == #"{"name":"period","value":30}"#)
    // From elsewhere: the error says the path is relative, and where it was looked for.
    try f.execute(
      "UPDATE runs SET script_path = 'elsewhere/ma_cross.lua' WHERE id = ?", [f.paperRun])
    let cwd = FileManager.default.currentDirectoryPath
    #expect {
      try desk.check(run: f.paperRun, params: [("period", "30")], source: "test")
    } throws: {
      let said = "\($0)"
      return said.contains("elsewhere/ma_cross.lua") && said.contains("relative path")
        && said.contains("not found from \(cwd)")
    }
    // An absolute path that is gone says so, without the relative-path hint.
    try f.execute(
      "UPDATE runs SET script_path = '/nonexistent/ma_cross.lua' WHERE id = ?", [f.paperRun])
    #expect {
      try desk.check(run: f.paperRun, params: [("period", "30")], source: "test")
    } throws: {
      "\($0)".contains("cannot read the strategy script") && !"\($0)".contains("relative")
    }
  }
}
