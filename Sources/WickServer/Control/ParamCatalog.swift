import Foundation
import WickCore
import WickLua

/// The parameters a run's script declares, for the parameter form and for validating a change
/// before it is queued. Loaded with the script's own `params` declaration (WickLua's
/// `ParamSpec`), cached per file and modification time so a hot-reloaded script is re-read.
final class ParamCatalog: @unchecked Sendable {
  private let lock = NSLock()
  private var cache: [String: (modified: Date, specs: [ParamSpec])] = [:]

  /// The declared params of the script at `path` (symbols: the run's, in case the script
  /// declares none).
  func specs(scriptPath path: String?, symbols: [String]) throws -> [ParamSpec] {
    guard let path, !path.isEmpty else {
      throw WickError.invalidArgument("the run has no script_path in the ledger")
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    guard let modified = attributes?[.modificationDate] as? Date else {
      guard !path.hasPrefix("/") else {
        throw WickError.invalidFile(
          path: path, line: nil, reason: "cannot read the strategy script")
      }
      // Runs started before the ledger recorded absolute paths have the path as typed.
      let cwd = FileManager.default.currentDirectoryPath
      throw WickError.invalidFile(
        path: path, line: nil,
        reason:
          "cannot read the strategy script: the ledger records this relative path as typed at `wick run` (the ledger does not say from which directory), and it is not found from \(cwd); run this from the directory `wick run` ran in"
      )
    }
    lock.lock()
    let hit = cache[path]
    lock.unlock()
    if let hit, hit.modified == modified { return hit.specs }
    let specs = try LuaStrategy(path: path, symbols: symbols.isEmpty ? nil : symbols).manifest
      .params
    lock.lock()
    cache[path] = (modified, specs)
    lock.unlock()
    return specs
  }
}

/// What the parameter form can offer for a run.
enum ParamChoices {
  case unavailable(String)
  /// Declared params and the values in force, as text.
  case specs([ParamSpec], current: [String: String])

  /// "5 to 500 step 5, now 20": the declared range a person must stay within.
  static func describe(_ p: ParamSpec, current: String?) -> String {
    var out: String
    switch p.kind {
    case .number(let lo, let hi, let step):
      out = "\(lo.map(formatNumber) ?? "−∞") to \(hi.map(formatNumber) ?? "∞")"
      if let step { out += " step \(formatNumber(step))" }
    case .bool: out = "true or false"
    case .choice(let options): out = options.joined(separator: " | ")
    case .string: out = "text"
    case .list: out = "list"
    }
    if let current { out += ", now \(current)" }
    return out
  }
}
