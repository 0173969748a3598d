package compare

import (
	"container/list"
	"sync"
)

// pastResponse is a finished response kept for cross-matching: its stream id and its leading
// normalised tokens. words is never modified once stored, so sessions share it.
type pastResponse struct {
	stream string
	words  []string
}

type conversation struct {
	id    string
	past  []pastResponse // oldest first, at most max_responses
	words int
	elem  *list.Element
}

// history keeps the recent finished responses of each conversation, bounded per conversation
// (ConversationConfig.MaxResponses) and in total (Limits.MaxHistoryTokens, least recently used
// conversation forgotten first). It is safe for concurrent use.
type history struct {
	mu       sync.Mutex
	convs    map[string]*conversation
	lru      *list.List // front: most recently used
	words    int
	maxWords int
}

func newHistory(maxWords int) *history {
	return &history{convs: map[string]*conversation{}, lru: list.New(), maxWords: maxWords}
}

// add stores a finished response, keeping at most keep per conversation.
func (h *history) add(conv, stream string, words []string, keep int) {
	if len(words) == 0 || len(words) > h.maxWords {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.convs[conv]
	if c == nil {
		c = &conversation{id: conv}
		c.elem = h.lru.PushFront(c)
		h.convs[conv] = c
	} else {
		h.lru.MoveToFront(c.elem)
	}
	c.past = append(c.past, pastResponse{stream: stream, words: words})
	c.words += len(words)
	h.words += len(words)
	for len(c.past) > keep {
		c.words -= len(c.past[0].words)
		h.words -= len(c.past[0].words)
		c.past[0] = pastResponse{}
		c.past = c.past[1:]
	}
	for h.words > h.maxWords {
		old := h.lru.Back().Value.(*conversation)
		h.drop(old)
	}
}

func (h *history) drop(c *conversation) {
	h.lru.Remove(c.elem)
	delete(h.convs, c.id)
	h.words -= c.words
}

// recent returns up to keep of the conversation's most recent responses, oldest first.
func (h *history) recent(conv string, keep int) []pastResponse {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.convs[conv]
	if c == nil {
		return nil
	}
	h.lru.MoveToFront(c.elem)
	p := c.past
	if len(p) > keep {
		p = p[len(p)-keep:]
	}
	return append([]pastResponse(nil), p...)
}

// stats returns the number of conversations and stored tokens.
func (h *history) stats() (convs, words int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.convs), h.words
}

// responses returns how many finished responses are kept for conv.
func (h *history) responses(conv string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.convs[conv]; c != nil {
		return len(c.past)
	}
	return 0
}
