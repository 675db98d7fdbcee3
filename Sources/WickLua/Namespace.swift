public enum WickLuaNamespace {}
