import Foundation

/// Writes through a temporary file and a rename: an output is never left half-written.
public enum OutputFile {
  /// Writes `text` to `path` (creating its folder), or leaves the old file as it was.
  public static func write(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try? FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let tmp = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp")
    do {
      try Data(text.utf8).write(to: tmp)
      guard rename(tmp.path, url.path) == 0 else {
        throw WickError.invalidFile(path: path, line: nil, reason: "rename failed")
      }
    } catch let error as WickError {
      try? FileManager.default.removeItem(at: tmp)
      throw error
    } catch {
      try? FileManager.default.removeItem(at: tmp)
      throw WickError.invalidFile(
        path: path, line: nil, reason: "cannot write: \(error.localizedDescription)")
    }
  }

  /// The file as UTF-8 text, nil when it does not exist or cannot be read.
  public static func read(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
  }
}
