import Foundation
import Testing
import WickCore
import WickData
import WickLua

@testable import WickLive

/// The script text, params and plugins each build of a run's strategy uses: recorded versions
/// while a resume or replay re-handles candles, the files on disk only in a hot reload.
struct ScriptVersionStoreTests {
  static func script(_ name: String, require plugin: Bool = false) -> String {
    """
    \(plugin ? "local rule = require(\"rule\")" : "")
    return {
      name = "\(name)", timeframe = "1m", symbols = { "BTCUSDT" },
      params = { n = { default = 1 } },
      on_candle = function(ctx, c) end,
    }
    """
  }

  /// A store over a temp script file, with recorded texts by hash.
  struct World {
    let path: String
    let texts: [String: String]
    let store: ScriptVersionStore

    init(disk: String, recorded: [String] = []) throws {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "wick-versions-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      path = dir.appendingPathComponent("s.lua").path
      try disk.write(toFile: path, atomically: true, encoding: .utf8)
      let texts = Dictionary(
        recorded.map { (ScriptVersionStore.hash($0), $0) }, uniquingKeysWith: { a, _ in a })
      self.texts = texts
      store = ScriptVersionStore(
        strategyPath: path, paramsFile: nil, symbols: ["BTCUSDT"],
        recordedText: { texts[$0] })
    }

    func write(_ text: String) throws {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
  }

  static func version(_ text: String, at time: Int64, n: Double, source: String = "reload")
    -> RunLedger.ScriptVersion
  {
    RunLedger.ScriptVersion(
      time: time, hash: ScriptVersionStore.hash(text),
      paramsJSON: DecisionJSON.params([("n", .number(n))]), source: source)
  }

  static func n(_ s: LuaStrategy) -> ParamValue? {
    s.params.first { $0.name == "n" }?.value
  }

  @Test func aResumeBuildsEachRecordedVersionAtItsCandleNotTheEditedFile() throws {
    let (a, b) = (Self.script("a"), Self.script("b"))
    let w = try World(disk: Self.script("edited since"), recorded: [a, b])
    let v0 = Self.version(a, at: 0, n: 1, source: "start")
    let v1 = Self.version(b, at: 60_000, n: 2)
    #expect(try w.store.startFromRecorded([v0, v1], plugins: [nil, nil]))
    let first = try w.store.build([])
    #expect(first.name == "a")
    #expect(Self.n(first) == .number(1))

    let swapped = try w.store.adoptRecordedSwap(
      at: 60_000, detail: ScriptVersionStore.versionDetail(v1))
    #expect(swapped == v1)
    let second = try w.store.build(w.store.overrides)
    #expect(second.name == "b")
    #expect(Self.n(second) == .number(2))
  }

  @Test func aSwapTheRunDidNotRecordLeavesTheNextBuildAsItWas() throws {
    let (a, b) = (Self.script("a"), Self.script("b"))
    let w = try World(disk: b, recorded: [a, b])
    let v0 = Self.version(a, at: 0, n: 1, source: "start")
    let v1 = Self.version(b, at: 60_000, n: 2)
    #expect(try w.store.startFromRecorded([v0, v1], plugins: [nil, nil]))
    // Other params than recorded, another candle, or the start version itself: not a swap.
    let otherParams = Self.version(b, at: 60_000, n: 3)
    #expect(
      try w.store.adoptRecordedSwap(
        at: 60_000, detail: ScriptVersionStore.versionDetail(otherParams)) == nil)
    #expect(
      try w.store.adoptRecordedSwap(at: 120_000, detail: ScriptVersionStore.versionDetail(v1))
        == nil)
    #expect(
      try w.store.adoptRecordedSwap(at: 0, detail: ScriptVersionStore.versionDetail(v0)) == nil)
    #expect(try w.store.build(w.store.overrides).name == "a")
    #expect(w.store.sourceText == a)
  }

  @Test func aRunWithoutARecordedTextCannotBeResumed() throws {
    let w = try World(disk: Self.script("a"))
    #expect(try !w.store.startFromRecorded([], plugins: []))
    let unknown = Self.version(Self.script("never stored"), at: 0, n: 1, source: "start")
    #expect(try !w.store.startFromRecorded([unknown], plugins: [nil]))
  }

  @Test func eachRecordedVersionBringsItsOwnPlugins() throws {
    let text = Self.script("ruled", require: true)
    let w = try World(disk: text, recorded: [text])
    let v0 = Self.version(text, at: 0, n: 1, source: "start")
    let v1 = Self.version(text, at: 60_000, n: 1)
    let plugins: [[String: String]?] = [
      ["rule": "return { every = 3 }"], ["rule": "return { every = 2 }"],
    ]
    // The file under plugins/ is not there: only the recorded texts can load.
    #expect(try w.store.startFromRecorded([v0, v1], plugins: plugins))
    #expect(try w.store.build([]).pluginTexts == ["rule": "return { every = 3 }"])
    _ = try w.store.adoptRecordedSwap(at: 60_000, detail: ScriptVersionStore.versionDetail(v1))
    #expect(try w.store.build([]).pluginTexts == ["rule": "return { every = 2 }"])
  }

  @Test func aHotReloadKeepsTheDiskTextOnlyWhenItWasSwappedIn() throws {
    let w = try World(disk: Self.script("a"))
    try w.store.startFromDisk()
    try w.write(Self.script("b"))
    // Outside a hot reload the running text is built, whatever the disk holds.
    #expect(try w.store.build([]).name == "a")
    w.store.readingDisk { (try? w.store.build([]))?.name == "b" }
    #expect(w.store.sourceText == Self.script("b"))

    // An edit the reload did not take (it failed validation) is not the next build's text.
    try w.write(Self.script("c"))
    w.store.readingDisk {
      _ = try? w.store.build([])
      return false
    }
    #expect(w.store.sourceText == Self.script("b"))
    #expect(try w.store.build([]).name == "b")
  }

  @Test func anEditMadeWhileStoppedIsFoundAgainstTheLastVersionAndCanBeUndone() throws {
    let (a, b) = (Self.script("a"), Self.script("b"))
    let w = try World(disk: a, recorded: [a])
    #expect(
      try w.store.startFromRecorded(
        [Self.version(a, at: 0, n: 1, source: "start")], plugins: [nil]))
    #expect(w.store.editedOnDisk() == nil)
    try w.write(b)
    let edited = try #require(w.store.editedOnDisk())
    #expect(edited == b)
    w.store.use(text: edited)
    #expect(try w.store.build([]).name == "b")
    try w.store.revertToLastVersion()
    #expect(try w.store.build([]).name == "a")
  }
}
