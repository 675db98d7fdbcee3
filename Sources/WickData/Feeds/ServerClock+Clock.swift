import WickCore

/// The exchange's clock is the `Clock` a live runner schedules by.
extension ServerClock: Clock {}
