package pdu

import "fmt"

// Status is an SMPP command_status.
type Status uint32

// Command statuses of SMPP 3.4 (5.1.3).
const (
	StatusOK              Status = 0x00
	StatusInvMsgLen       Status = 0x01
	StatusInvCmdLen       Status = 0x02
	StatusInvCmdID        Status = 0x03
	StatusInvBndSts       Status = 0x04
	StatusAlyBnd          Status = 0x05
	StatusInvPrtFlg       Status = 0x06
	StatusInvRegDlvFlg    Status = 0x07
	StatusSysErr          Status = 0x08
	StatusInvSrcAdr       Status = 0x0A
	StatusInvDstAdr       Status = 0x0B
	StatusInvMsgID        Status = 0x0C
	StatusBindFail        Status = 0x0D
	StatusInvPaswd        Status = 0x0E
	StatusInvSysID        Status = 0x0F
	StatusCancelFail      Status = 0x11
	StatusReplaceFail     Status = 0x13
	StatusMsgQFul         Status = 0x14
	StatusInvSerTyp       Status = 0x15
	StatusInvNumDests     Status = 0x33
	StatusInvDLName       Status = 0x34
	StatusInvDestFlag     Status = 0x40
	StatusInvSubRep       Status = 0x42
	StatusInvEsmClass     Status = 0x43
	StatusCntSubDL        Status = 0x44
	StatusSubmitFail      Status = 0x45
	StatusInvSrcTON       Status = 0x48
	StatusInvSrcNPI       Status = 0x49
	StatusInvDstTON       Status = 0x50
	StatusInvDstNPI       Status = 0x51
	StatusInvSysTyp       Status = 0x53
	StatusInvRepFlag      Status = 0x54
	StatusInvNumMsgs      Status = 0x55
	StatusThrottled       Status = 0x58
	StatusInvSched        Status = 0x61
	StatusInvExpiry       Status = 0x62
	StatusInvDftMsgID     Status = 0x63
	StatusXTAppn          Status = 0x64
	StatusXPAppn          Status = 0x65
	StatusXRAppn          Status = 0x66
	StatusQueryFail       Status = 0x67
	StatusInvOptParStream Status = 0xC0
	StatusOptParNotAllwd  Status = 0xC1
	StatusInvParLen       Status = 0xC2
	StatusMissingOptParam Status = 0xC3
	StatusInvOptParamVal  Status = 0xC4
	StatusDeliveryFailure Status = 0xFE
	StatusUnknownErr      Status = 0xFF
)

var statusNames = map[Status]string{
	StatusOK: "ESME_ROK", StatusInvMsgLen: "ESME_RINVMSGLEN", StatusInvCmdLen: "ESME_RINVCMDLEN",
	StatusInvCmdID: "ESME_RINVCMDID", StatusInvBndSts: "ESME_RINVBNDSTS", StatusAlyBnd: "ESME_RALYBND",
	StatusInvPrtFlg: "ESME_RINVPRTFLG", StatusInvRegDlvFlg: "ESME_RINVREGDLVFLG", StatusSysErr: "ESME_RSYSERR",
	StatusInvSrcAdr: "ESME_RINVSRCADR", StatusInvDstAdr: "ESME_RINVDSTADR", StatusInvMsgID: "ESME_RINVMSGID",
	StatusBindFail: "ESME_RBINDFAIL", StatusInvPaswd: "ESME_RINVPASWD", StatusInvSysID: "ESME_RINVSYSID",
	StatusCancelFail: "ESME_RCANCELFAIL", StatusReplaceFail: "ESME_RREPLACEFAIL", StatusMsgQFul: "ESME_RMSGQFUL",
	StatusInvSerTyp: "ESME_RINVSERTYP", StatusInvNumDests: "ESME_RINVNUMDESTS", StatusInvDLName: "ESME_RINVDLNAME",
	StatusInvDestFlag: "ESME_RINVDESTFLAG", StatusInvSubRep: "ESME_RINVSUBREP", StatusInvEsmClass: "ESME_RINVESMCLASS",
	StatusCntSubDL: "ESME_RCNTSUBDL", StatusSubmitFail: "ESME_RSUBMITFAIL", StatusInvSrcTON: "ESME_RINVSRCTON",
	StatusInvSrcNPI: "ESME_RINVSRCNPI", StatusInvDstTON: "ESME_RINVDSTTON", StatusInvDstNPI: "ESME_RINVDSTNPI",
	StatusInvSysTyp: "ESME_RINVSYSTYP", StatusInvRepFlag: "ESME_RINVREPFLAG", StatusInvNumMsgs: "ESME_RINVNUMMSGS",
	StatusThrottled: "ESME_RTHROTTLED", StatusInvSched: "ESME_RINVSCHED", StatusInvExpiry: "ESME_RINVEXPIRY",
	StatusInvDftMsgID: "ESME_RINVDFTMSGID", StatusXTAppn: "ESME_RX_T_APPN", StatusXPAppn: "ESME_RX_P_APPN",
	StatusXRAppn: "ESME_RX_R_APPN", StatusQueryFail: "ESME_RQUERYFAIL", StatusInvOptParStream: "ESME_RINVOPTPARSTREAM",
	StatusOptParNotAllwd: "ESME_ROPTPARNOTALLWD", StatusInvParLen: "ESME_RINVPARLEN",
	StatusMissingOptParam: "ESME_RMISSINGOPTPARAM", StatusInvOptParamVal: "ESME_RINVOPTPARAMVAL",
	StatusDeliveryFailure: "ESME_RDELIVERYFAILURE", StatusUnknownErr: "ESME_RUNKNOWNERR",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("0x%08x", uint32(s))
}

// Permanent tells whether resending the same submit_sm cannot succeed: the
// addresses or the message itself are refused.
func (s Status) Permanent() bool {
	switch s {
	case StatusInvMsgLen, StatusInvSrcAdr, StatusInvDstAdr, StatusInvEsmClass, StatusInvSrcTON, StatusInvSrcNPI,
		StatusInvDstTON, StatusInvDstNPI, StatusXPAppn, StatusInvSerTyp, StatusInvRegDlvFlg, StatusInvPrtFlg:
		return true
	}
	return false
}

// Congestion tells whether the peer asks to slow down (ESME_RTHROTTLED,
// ESME_RMSGQFUL).
func (s Status) Congestion() bool { return s == StatusThrottled || s == StatusMsgQFul }
