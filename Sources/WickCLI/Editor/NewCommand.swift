import ArgumentParser
import Foundation
import WickCore
import WickLua

/// `wick new …`: starting points for new work.
public struct NewCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "new", abstract: "Create a new strategy from a template.",
    subcommands: [NewStrategy.self])
  public init() {}
}

/// `wick new strategy NAME`: `strategies/NAME.lua` that backtests as it is, plus the editor
/// files (`.luarc.json`, `types/wick.lua`) when missing.
public struct NewStrategy: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "strategy",
    abstract:
      "Write strategies/NAME.lua from a template, with editor types for VS Code and Neovim.",
    discussion: """
      Also writes .luarc.json and types/wick.lua (LuaLS annotations of ctx, candles, intents and \
      every wick.* indicator) when they are missing. An existing script is never replaced. \
      Example:
        wick new strategy breakout && wick check strategies/breakout.lua
      """)

  @Argument(help: "The strategy's name: lowercase letters, digits and '_', starting with a letter.")
  var name: String
  @Option(help: "The project folder that holds strategies/ (default: the current folder).")
  var dir: String = "."

  public init() {}

  public func run() throws {
    try reportingErrors {
      for file in try StrategyTemplate.create(name: name, in: dir) {
        let shown = file.path.hasPrefix("./") ? String(file.path.dropFirst(2)) : file.path
        print(file.created ? "wrote \(shown)" : "kept \(shown) (already there)")
      }
    }
  }
}
