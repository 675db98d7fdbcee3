public enum WickSimulation {}
