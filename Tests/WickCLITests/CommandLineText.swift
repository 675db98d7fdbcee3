import ArgumentParser
import Foundation
import WickCLI

/// Shell text as the docs, the systemd units and the manifests write it, read far enough to find
/// each `wick …` command and parse it with the real command tree (ArgumentParser's parse and
/// `validate()`, nothing runs).
enum CommandLineText {
  /// The simple commands of one shell line (continuations already joined): words split as `sh`
  /// splits them (quotes, backslashes), a `#` comment dropped, the line cut at `&&`, `||`, `;`,
  /// `|` and `&`, and redirections (`> FILE`, `2> FILE`, `< FILE`) removed with their file.
  static func commands(in line: String) -> [[String]] {
    var commands: [[String]] = [[]]
    var word = ""
    var inWord = false
    var dropNextWord = false
    let chars = Array(line)
    var i = 0
    func endWord() {
      guard inWord else { return }
      if dropNextWord { dropNextWord = false } else { commands[commands.count - 1].append(word) }
      word = ""
      inWord = false
    }
    while i < chars.count {
      let c = chars[i]
      switch c {
      case " ", "\t", "\n": endWord()
      case "'":
        inWord = true
        i += 1
        while i < chars.count, chars[i] != "'" {
          word.append(chars[i])
          i += 1
        }
      case "\"":
        inWord = true
        i += 1
        while i < chars.count, chars[i] != "\"" {
          if chars[i] == "\\", i + 1 < chars.count { i += 1 }
          word.append(chars[i])
          i += 1
        }
      case "\\":
        if i + 1 < chars.count {
          i += 1
          if chars[i] != "\n" {
            inWord = true
            word.append(chars[i])
          }
        }
      case "#" where !inWord:
        while i + 1 < chars.count, chars[i + 1] != "\n" { i += 1 }
      case "&", "|", ";":
        endWord()
        if i + 1 < chars.count, chars[i + 1] == c { i += 1 }
        commands.append([])
      case ">", "<":
        if inWord, word == "2" || word == "1" || word == "&" {
          word = ""
          inWord = false
        }
        endWord()
        if i + 1 < chars.count, chars[i + 1] == ">" || chars[i + 1] == "&" { i += 1 }
        dropNextWord = true
      default:
        inWord = true
        word.append(c)
      }
      i += 1
    }
    endWord()
    return commands.filter { !$0.isEmpty }
  }

  /// The arguments after `wick` when the command runs Wick (`wick`, `.build/release/wick`,
  /// `/usr/local/bin/wick`), past environment assignments (`WICK_DASHBOARD_TOKEN=… wick serve`)
  /// and `sudo [-u USER]`; nil for any other program.
  static func wickArguments(_ words: [String]) -> [String]? {
    var rest = words[...]
    while let first = rest.first,
      first.range(of: #"^[A-Za-z_][A-Za-z0-9_]*="#, options: .regularExpression) != nil
    {
      rest = rest.dropFirst()
    }
    if rest.first == "sudo" {
      rest = rest.dropFirst()
      while let option = rest.first, option.hasPrefix("-") {
        rest = rest.dropFirst(["-u", "-g"].contains(option) ? 2 : 1)
      }
    }
    guard let program = rest.first, program == "wick" || program.hasSuffix("/wick") else {
      return nil
    }
    return Array(rest.dropFirst())
  }

  /// Nil when `arguments` parse as a `wick` command line (a request for help counts), else
  /// ArgumentParser's message. Words in capitals (`ID`, `FILE`, `DIR...`) are the docs'
  /// placeholders: a line that fails as written is tried again with each of them as `1`, so that
  /// `wick replay ID` checks the command and its flags rather than the placeholder.
  static func parseFailure(_ arguments: [String]) -> String? {
    func attempt(_ args: [String]) -> String? {
      do {
        _ = try WickCommand.parseAsRoot(args)
        return nil
      } catch {
        if WickCommand.exitCode(for: error) == .success { return nil }
        return WickCommand.message(for: error)
      }
    }
    guard let failure = attempt(arguments) else { return nil }
    let placeholder = #"^[A-Z][A-Z0-9_]*(\.\.\.|…)?$"#
    let filled = arguments.map {
      $0.range(of: placeholder, options: .regularExpression) != nil ? "1" : $0
    }
    if filled != arguments, attempt(filled) == nil { return nil }
    return failure
  }
}
