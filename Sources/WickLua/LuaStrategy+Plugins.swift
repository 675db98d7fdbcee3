import CLua
import Foundation
import WickCore

/// The sandbox's `require`: names `[a-z0-9_.]+` only, resolved to `<root>/<a/b>.lua` under the
/// plugin roots, compiled as text into the same sandbox, cached per state.
extension LuaStrategy {
  func requirePlugin(_ L: OpaquePointer) -> Int32 {
    guard let name = state.string(at: 1) else {
      return fail("require expects a module name string")
    }
    let allowed = name.utf8.allSatisfy {
      ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 46
    }
    guard !name.isEmpty, allowed, !name.hasPrefix("."), !name.hasSuffix("."), !name.contains("..")
    else {
      return fail(
        "require '\(name)': module names may only contain a-z, 0-9, '_' and '.' (plugins live under plugins/)"
      )
    }
    lua_rawgeti(L, wick_registryindex(), lua_Integer(loadedPluginsRef))
    if state.rawField(-1, name) != LUA_TNIL {
      wick_remove(L, -2)
      return 1
    }
    state.pop()
    let relative = name.replacingOccurrences(of: ".", with: "/") + ".lua"
    let found = pluginRoots.map({ $0 + "/" + relative }).first(where: {
      FileManager.default.fileExists(atPath: $0)
    })
    let text: String
    if let recordedPlugins {
      // A recorded version runs the plugin texts it recorded, whatever the files say now.
      guard let recorded = recordedPlugins[name] else {
        state.pop()
        return fail("require '\(name)': not among the plugins this version recorded")
      }
      text = recorded
    } else {
      guard let path = found else {
        state.pop()
        return fail(
          "require '\(name)': module not found (looked for \(relative) under \(pluginRoots.joined(separator: ", ")))"
        )
      }
      do {
        text = try ScriptText.read(path: path, what: "plugin")
      } catch {
        state.pop()
        return fail("require '\(name)': \(error)")
      }
    }
    pluginTexts[name] = text
    let path = found ?? "plugins/" + relative
    let display = displayPath(path)
    if found != nil, !sourceFiles.contains(path) { sourceFiles.append(path) }
    let (ok, message) = runChunk(text: text, chunkName: "@" + display, results: 1, nested: true)
    guard ok else {
      state.pop()
      state.push(message)
      return -1
    }
    if lua_type(L, -1) == LUA_TNIL {
      state.pop()
      lua_pushboolean(L, 1)
    }
    lua_pushvalue(L, -1)
    state.setRawField(-3, name)
    wick_remove(L, -2)
    return 1
  }

  /// Paths in messages are shown relative to the working directory when possible.
  private func displayPath(_ path: String) -> String {
    let cwd = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
  }
}
