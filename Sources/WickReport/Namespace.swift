public enum WickReportNamespace {}
