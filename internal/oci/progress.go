package oci

import (
	"fmt"
	"io"
	"strings"

	"github.com/wisphq/wisp"
)

// progress counts the bytes of one transfer written to it and shows them
// on w as one line rewritten in place, "LABEL DONE / TOTAL PCT%", each time
// the whole percentage changes (at most 101 times, however large the
// blob). finish ends the line. A nil w shows nothing.
type progress struct {
	w            io.Writer
	label        string
	done, total  int64
	shownPercent int // -1 before the first line
	width        int // of the last line, to blank out what a shorter one leaves
}

// newProgress shows the start of a transfer of total bytes.
func newProgress(w io.Writer, label string, total int64) *progress {
	p := &progress{w: w, label: label, total: total, shownPercent: -1}
	p.show()
	return p
}

// Write counts p; it never fails.
func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	p.show()
	return len(b), nil
}

func (p *progress) show() {
	if p.w == nil {
		return
	}
	percent := 100 // of nothing
	if p.total > 0 {
		percent = int(min(p.done, p.total) * 100 / p.total)
	}
	if percent == p.shownPercent {
		return
	}
	p.shownPercent = percent
	line := fmt.Sprintf("%s %s / %s %3d%%", p.label, wisp.ByteSize(p.done).Approx(), wisp.ByteSize(p.total).Approx(), percent)
	pad := max(p.width-len(line), 0)
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

// finish ends the line, showing the final count.
func (p *progress) finish() {
	if p.w == nil {
		return
	}
	p.show()
	fmt.Fprintln(p.w)
}
