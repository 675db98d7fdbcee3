import ArgumentParser
import Foundation
import GRDB
import WickCore
import WickData

/// Runs a command body; a `WickError` is printed as `error: …` on stderr and ends the command
/// with a non-zero exit status instead of ArgumentParser's generic message.
func reportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as WickError {
    printError("error: \(error)")
    throw ExitCode.failure
  } catch let error as DatabaseError {
    printError(databaseFailure(error))
    throw ExitCode.failure
  }
}

/// A SQLite failure outside the ledger's own wrappers (a lock held past the busy timeout while
/// opening a transaction), said plainly with what to do, never as a raw SQL dump.
func databaseFailure(_ error: DatabaseError) -> String {
  "error: the database failed: \(CandleStore.describe(error))\(CandleStore.cause(error, path: ""))."
    + " Nothing was half-written: once that is fixed, the same command resumes the run"
}

/// Writes a line to stderr (progress and summaries, so stdout stays clean for data).
func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Seconds since `start`, as `0.9 s`.
func elapsed(since start: ContinuousClock.Instant) -> String {
  let d = ContinuousClock.now - start
  let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  return String(format: "%.1f s", seconds)
}
