public enum WickRiskNamespace {}
