package wisp

import "testing"

func TestUsageStatsPercentilesOverTheLatestWindow(t *testing.T) {
	var s usageStats
	// 2000 requests: the first 976 use 1 fuel each and are pushed out of
	// the window by the last 1024, which use 1 to 1024 times
	// FuelPerMillisecond/1000 (1 us to 1.024 ms).
	for i := 0; i < 976; i++ {
		s.record(1, false)
	}
	for i := int64(1); i <= usageWindow; i++ {
		s.record(i*FuelPerMillisecond/1000, i == usageWindow)
	}
	u := s.snapshot("app")
	want := AppUsage{
		App: "app", Requests: 2000, OverBudget: 1, Window: usageWindow,
		Fuel: 976 + FuelPerMillisecond/1000*usageWindow*(usageWindow+1)/2,
		P50:  cpuOf(513 * FuelPerMillisecond / 1000),
		P90:  cpuOf(922 * FuelPerMillisecond / 1000),
		P99:  cpuOf(1014 * FuelPerMillisecond / 1000),
		Max:  cpuOf(1024 * FuelPerMillisecond / 1000),
	}
	want.CPU = cpuOf(want.Fuel)
	if u != want {
		t.Fatalf("snapshot\n got %+v\nwant %+v", u, want)
	}
	if (&usageStats{}).snapshot("idle") != (AppUsage{App: "idle"}) {
		t.Fatal("an app without requests has usage")
	}
}
