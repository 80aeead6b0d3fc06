package wisp

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// decodeVariableFast agrees with json.Unmarshal on every value it
// accepts, and accepts the common ones.
func TestDecodeVariableFast(t *testing.T) {
	when := time.Date(2026, 12, 7, 10, 0, 0, 123, time.UTC)
	for _, tc := range []struct {
		name string
		sv   storedVariable
		fast bool // the fast path takes it
	}{
		{"plain", storedVariable{Value: "eu-west", Updated: when}, true},
		{"plain without time", storedVariable{Value: "eu-west"}, true},
		{"empty", storedVariable{Value: "", Updated: when}, false}, // omitempty drops "value"
		{"unicode", storedVariable{Value: "café ☕", Updated: when}, true},
		{"braces and commas", storedVariable{Value: `a},"updated":"x`, Updated: when}, false},
		{"quote", storedVariable{Value: `say "hi"`, Updated: when}, false},
		{"backslash", storedVariable{Value: `C:\dir`, Updated: when}, false},
		{"html", storedVariable{Value: "<b>&</b>", Updated: when}, false},
		{"newline", storedVariable{Value: "a\nb", Updated: when}, false},
		{"sealed", storedVariable{Secret: true, Sealed: []byte{0, 1, 2, 250, 251, 252, 253}, Updated: when}, true},
		{"sealed without time", storedVariable{Secret: true, Sealed: []byte("xyz")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.sv)
			if err != nil {
				t.Fatal(err)
			}
			var want storedVariable
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			want.Updated = time.Time{}
			got, ok := decodeVariableFast(data)
			if ok != tc.fast {
				t.Fatalf("fast path took %s: %v, want %v", data, ok, tc.fast)
			}
			if ok && !reflect.DeepEqual(got, want) {
				t.Fatalf("fast %+v, json %+v", got, want)
			}
		})
	}
	for _, bad := range []string{
		`{"value":"x"`, `{"value":"x","updated":"t"`, `{"value":"x"}junk`, `{"value":"x","updated":"t"}junk"}`,
		`{"secret":true,"sealed":"!!!!"}`, `{"value":"x","other":"y"}`, `{"value":`, ``,
	} {
		if sv, ok := decodeVariableFast([]byte(bad)); ok {
			t.Errorf("fast path took %q as %+v", bad, sv)
		}
	}
}

func BenchmarkDecodeVariable(b *testing.B) {
	data, _ := json.Marshal(storedVariable{Value: "eu-west", Updated: time.Now().UTC()})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, ok := decodeVariableFast(data); !ok {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			var sv storedVariable
			if err := json.Unmarshal(data, &sv); err != nil {
				b.Fatal(err)
			}
		}
	})
}
