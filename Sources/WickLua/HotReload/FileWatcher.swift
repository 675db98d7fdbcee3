import Foundation

/// Polls files for changes (modification time and size). Polling is portable, needs no
/// inotify handle, and at a few checks per second costs nothing next to a backtest.
public final class FileWatcher {
  private var stamps: [String: Stamp] = [:]
  private struct Stamp: Equatable {
    var modified: Date?
    var size: Int?
  }

  public init(paths: [String]) { watch(paths) }

  /// Replaces the watched set (e.g. after a reload required new plugins) and records their state.
  public func watch(_ paths: [String]) {
    stamps = Dictionary(uniqueKeysWithValues: Set(paths).map { ($0, Self.stamp($0)) })
  }

  /// The watched files that changed since the last call (or since `watch`).
  public func changes() -> [String] {
    var changed: [String] = []
    for (path, old) in stamps {
      let now = Self.stamp(path)
      if now != old {
        changed.append(path)
        stamps[path] = now
      }
    }
    return changed.sorted()
  }

  /// Blocks until a watched file changes; waits `settle` more so an editor's multi-step save
  /// is seen as one change.
  public func waitForChange(pollInterval: TimeInterval = 0.25, settle: TimeInterval = 0.1)
    -> [String]
  {
    while true {
      let c = changes()
      if !c.isEmpty {
        Thread.sleep(forTimeInterval: settle)
        return (c + changes()).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
      }
      Thread.sleep(forTimeInterval: pollInterval)
    }
  }

  private static func stamp(_ path: String) -> Stamp {
    let attrs = try? FileManager.default.attributesOfItem(atPath: path)
    return Stamp(
      modified: attrs?[.modificationDate] as? Date, size: (attrs?[.size] as? NSNumber)?.intValue)
  }
}
