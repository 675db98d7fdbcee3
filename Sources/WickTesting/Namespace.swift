public enum WickTestingNamespace {}
