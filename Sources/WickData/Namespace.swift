public enum WickDataNamespace {}
