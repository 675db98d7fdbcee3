import Foundation
import WickLua
import WickReport

/// `wick backtest --watch`: one run per change of the script, a plugin it required or the params
/// file. After the first run it reports how the metrics moved; a broken edit reports its error
/// and the last good result stays the baseline.
final class BacktestWatch {
  let job: BacktestJob
  private let firstReport: (BacktestJob.Outcome) -> String
  private var previous: BacktestJob.Outcome?
  private let watcher = FileWatcher(paths: [])
  private(set) var watchedFiles: [String]

  init(job: BacktestJob, firstReport: @escaping (BacktestJob.Outcome) -> String) {
    self.job = job
    self.firstReport = firstReport
    watchedFiles = [job.strategyPath] + (job.paramsFile.map { [$0] } ?? [])
  }

  /// Runs the backtest and returns what to print; the watched set follows what the run required.
  func runOnce() -> String {
    var text: String
    do {
      let outcome = try job.run()
      watchedFiles = outcome.sourceFiles + (job.paramsFile.map { [$0] } ?? [])
      if let previous {
        text =
          "— metrics moved —\n" + MetricsDiff.render(old: previous.metrics, new: outcome.metrics)
      } else {
        text = firstReport(outcome)
      }
      if let error = outcome.result.error { text += "\nerror: \(error)" }
      previous = outcome
    } catch {
      text = "error: \(error)\n(keeping the last good result; fix the file and save again)"
    }
    watcher.watch(watchedFiles)
    return text
  }

  /// Files changed since the last run (without waiting).
  func pendingChanges() -> [String] { watcher.changes() }

  /// Blocks until a watched file changes.
  func waitForChange() -> [String] { watcher.waitForChange() }
}
