package main

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/plugins/api"
)

// progress shows layer transfers on stderr: a bar per layer with sizes and
// rate on a terminal, one line per finished layer otherwise, nothing when
// quiet. update may be called from several goroutines.
type progress struct {
	mu       sync.Mutex
	quiet    bool
	doneWord string // "Pull complete", "Pushed"
	bars     *mpb.Progress
	byID     map[string]*mpb.Bar
	finished map[string]bool
}

func newProgress(quiet bool, doneWord string) *progress {
	p := &progress{quiet: quiet, doneWord: doneWord, byID: map[string]*mpb.Bar{}, finished: map[string]bool{}}
	if !quiet && monitor.IsTerminal(int(os.Stderr.Fd())) {
		p.bars = mpb.New(mpb.WithOutput(os.Stderr), mpb.WithWidth(40))
	}
	return p
}

func (p *progress) update(l api.LayerProgress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished[l.ID] {
		return
	}
	over := l.Status == api.LayerDone || l.Status == api.LayerExists
	if over {
		p.finished[l.ID] = true
	}
	if p.bars == nil {
		if over {
			fmt.Fprintf(os.Stderr, "%s: %s\n", layerName(l.ID), p.word(l.Status))
		}
		return
	}
	p.bar(l).SetCurrent(l.Done)
	if over {
		p.bar(l).SetTotal(max(l.Total, l.Done), true)
	}
}

func (p *progress) word(status string) string {
	if status == api.LayerExists {
		return "Already exists"
	}
	return p.doneWord
}

// bar returns the layer's bar, adding it on first sight.
func (p *progress) bar(l api.LayerProgress) *mpb.Bar {
	if b, ok := p.byID[l.ID]; ok {
		return b
	}
	total := l.Total
	if total <= 0 {
		total = 0 // unknown: the bar stays open until SetTotal
	}
	b := p.bars.AddBar(total,
		mpb.PrependDecorators(decor.Name(layerName(l.ID)+" "), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(decor.OnComplete(decor.AverageSpeed(decor.SizeB1024(0), "% .1f"), p.word(l.Status))))
	p.byID[l.ID] = b
	return b
}

// finish ends every bar and waits for the last render.
func (p *progress) finish() {
	if p.bars == nil {
		return
	}
	p.mu.Lock()
	for _, b := range p.byID {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	p.mu.Unlock()
	p.bars.Wait()
}

// layerName is a digest shortened like docker's: 12 hex digits.
func layerName(digest string) string {
	_, hex, ok := strings.Cut(digest, ":")
	if !ok {
		hex = digest
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}
