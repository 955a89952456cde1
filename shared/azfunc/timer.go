package azfunc

import (
	"fmt"
	"time"
)

// Timer is a timerTrigger's TimerInfo.
type Timer struct {
	// IsPastDue is true when the invocation fired later than scheduled.
	IsPastDue bool
	// AdjustForDST mirrors Schedule.AdjustForDST.
	AdjustForDST bool
	// Status is nil when the function's useMonitor is false.
	Status *ScheduleStatus
}

// ScheduleStatus is the schedule monitor's record of the last and next runs.
type ScheduleStatus struct {
	Last        time.Time
	Next        time.Time
	LastUpdated time.Time
}

// DecodeTimer reads the TimerInfo of binding from inv.
func DecodeTimer(inv *Invocation, binding string) (*Timer, error) {
	raw, ok := inv.Data[binding]
	if !ok {
		return nil, fmt.Errorf("invocation has no data for binding %q", binding)
	}
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("timer info: %w", err)
	}
	t := &Timer{}
	if t.IsPastDue, err = decodeBool(obj["IsPastDue"]); err != nil {
		return nil, fmt.Errorf("timer IsPastDue: %w", err)
	}
	if sched, err := decodeObject(obj["Schedule"]); err == nil && sched != nil {
		t.AdjustForDST, _ = decodeBool(sched["AdjustForDST"])
	}
	status, err := decodeObject(obj["ScheduleStatus"])
	if err != nil {
		return nil, fmt.Errorf("timer ScheduleStatus: %w", err)
	}
	if status != nil {
		s := &ScheduleStatus{}
		if s.Last, err = decodeTime(status["Last"]); err != nil {
			return nil, fmt.Errorf("timer ScheduleStatus.Last: %w", err)
		}
		if s.Next, err = decodeTime(status["Next"]); err != nil {
			return nil, fmt.Errorf("timer ScheduleStatus.Next: %w", err)
		}
		if s.LastUpdated, err = decodeTime(status["LastUpdated"]); err != nil {
			return nil, fmt.Errorf("timer ScheduleStatus.LastUpdated: %w", err)
		}
		t.Status = s
	}
	return t, nil
}
