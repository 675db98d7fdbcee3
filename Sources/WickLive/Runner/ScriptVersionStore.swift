import Foundation
import WickCore
import WickData
import WickLua

/// Which script text, params and plugins the runner's next build of the strategy uses, and the
/// script versions the run recorded.
///
/// A resume or a replay builds from the run's first recorded version, then swaps in each recorded
/// version at the candle it was recorded at (never today's files, which may have changed since);
/// a hot reload between live candles builds from the files on disk; every version swapped in live
/// is appended as it is recorded.
final class ScriptVersionStore {
  typealias Override = (name: String, value: ParamValue, source: String)

  let strategyPath: String
  let paramsFile: String?
  let symbols: [String]
  /// A recorded version's text by its hash (the ledger's `script_texts`).
  private let recordedText: (String) throws -> String?

  /// The script text and params the next build uses (recorded versions while verifying).
  private(set) var sourceText = ""
  var overrides: [Override] = []
  /// What the strategy said about its last reload (why it failed, or what it swapped in).
  var lastReloadMessage = ""
  /// True between candles of a live session: a hot reload builds from the file on disk.
  private(set) var readsScriptFromDisk = false
  private var lastBuiltText = ""
  /// The config's `[sandbox]` limits and `[sessions]` windows every build of the script gets
  /// (a run without a config file has the defaults).
  var sandbox = SandboxConfig()
  var sessions = TradingSessions.standard
  /// The versions the run recorded, in order, and each one's plugin texts by module (aligned).
  private(set) var versions: [RunLedger.ScriptVersion] = []
  private(set) var versionPlugins: [[String: String]?] = []
  /// The plugin texts the next build that does not read the disk uses (nil: the files under
  /// plugins/).
  private(set) var recordedPlugins: [String: String]?

  init(
    strategyPath: String, paramsFile: String?, symbols: [String],
    recordedText: @escaping (String) throws -> String?
  ) {
    self.strategyPath = strategyPath
    self.paramsFile = paramsFile
    self.symbols = symbols
    self.recordedText = recordedText
  }

  // MARK: Choosing the text

  /// A new run: its first version is the script file as it is now.
  func startFromDisk() throws {
    sourceText = try ScriptText.read(path: strategyPath)
  }

  /// A resume or a replay: the next build is the run's first recorded version (its text, params
  /// and plugins). False when the run recorded no version or its text is missing.
  func startFromRecorded(
    _ recorded: [RunLedger.ScriptVersion], plugins: [[String: String]?]
  ) throws -> Bool {
    versions = recorded
    guard let first = recorded.first, let text = try recordedText(first.hash) else {
      return false
    }
    sourceText = text
    overrides = try Self.overrides(fromJSON: first.paramsJSON)
    versionPlugins = plugins
    recordedPlugins = plugins.first ?? nil
    return true
  }

  /// While re-handling recorded candles: the version the run swapped in after candle `t` with
  /// the recorded decision `detail` becomes the next build's text, params and plugins. Nil when
  /// the run recorded no such version (or its text is missing); the next build is then unchanged.
  func adoptRecordedSwap(at t: Int64, detail: String) throws -> RunLedger.ScriptVersion? {
    guard
      let index = versions.indices.dropFirst().first(where: {
        versions[$0].time == t && detail == Self.versionDetail(versions[$0])
      }),
      case let v = versions[index],
      let text = try recordedText(v.hash)
    else { return nil }
    sourceText = text
    overrides = try Self.overrides(fromJSON: v.paramsJSON)
    if index < versionPlugins.count { recordedPlugins = versionPlugins[index] }
    return v
  }

  /// Runs `reload` with builds reading the script and plugins from disk (a hot reload); when it
  /// swapped a version in, that text is the next build's.
  func readingDisk(_ reload: () -> Bool) {
    readsScriptFromDisk = true
    let swapped = reload()
    readsScriptFromDisk = false
    if swapped { sourceText = lastBuiltText }
  }

  /// The script on disk when it is not the last recorded version (edited while the runner was
  /// down); nil when it is, or cannot be read.
  func editedOnDisk() -> String? {
    guard let disk = try? ScriptText.read(path: strategyPath),
      Self.hash(disk) != versions.last?.hash
    else { return nil }
    return disk
  }

  /// The next build uses `text` (an edit made while the runner was down).
  func use(text: String) { sourceText = text }

  /// Back to the last recorded version's text (an edit that did not load).
  func revertToLastVersion() throws {
    guard let last = versions.last else { return }
    sourceText = try recordedText(last.hash) ?? sourceText
  }

  /// A version swapped in and recorded: it and its plugins are the next build's.
  func append(_ v: RunLedger.ScriptVersion, plugins: [String: String]) {
    versions.append(v)
    versionPlugins.append(plugins)
    recordedPlugins = plugins
  }

  // MARK: Building

  /// A fresh strategy from the chosen text with the params file (re-read each time), the
  /// overrides and `extra`.
  func build(_ extra: [Override]) throws -> LuaStrategy {
    var all: [Override] = []
    if let file = paramsFile { all += try ParamsFile.load(path: file) }
    // Live swaps read the edited file; re-handling recorded candles uses the recorded text.
    let text = readsScriptFromDisk ? try ScriptText.read(path: strategyPath) : sourceText
    let built = try LuaStrategy(
      path: strategyPath, source: text, overrides: all + extra, symbols: symbols,
      limits: LuaLimits(sandbox: sandbox, randomSeed: 1),
      plugins: readsScriptFromDisk ? nil : recordedPlugins, sessions: sessions)
    lastBuiltText = text
    return built
  }

  // MARK: Records

  /// FNV-1a 64 of the script text: the version id in `script_versions`.
  static func hash(_ text: String) -> String { FNV1a.hex(text) }

  /// The `reload` decision a version swap records.
  static func versionDetail(_ v: RunLedger.ScriptVersion) -> String {
    DecisionJSON.object([
      ("hash", .string(v.hash)), ("source", .string(v.source)), ("params", .raw(v.paramsJSON)),
    ])
  }

  static func overrides(fromJSON json: String) throws -> [Override] {
    try ParamsFile.parseJSON(Data(json.utf8), path: "recorded params")
  }
}
