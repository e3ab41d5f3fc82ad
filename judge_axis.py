"""Which side of a reply a judge's rubric asks to judge: its content, its delivery, or both.

    import judge_axis
    judge_axis.rubric_axis("Judge only how natural the voice sounds.")       # 'acoustic'
    judge_axis.axis_of_words("Is the answer correct? Ignore the voice.")      # 'semantic'

judge_rubric.py reads the rest of a rubric (its scale and the answer's form). The axis: content / correctness / helpfulness -> semantic, paralinguistic /
delivery / voice / prosody / naturalness -> acoustic, both or neither -> holistic, ignoring
what the rubric says to leave out ("ignoring semantic correctness", "not how it sounds", "is
scored in another item"), following a clause that narrows it ("solely on the voice"), and where the
sentence that asks for the judging ("Which one sounds better?") names one side, that side. Where the
request's words as a whole vote for one side by a wide margin (judge_votes.py, counted over the
prompts others wrote), that side overrules these rules. All of this is heuristic: README, *Use your own judge prompt*, says how far it carries on prompts it was
not built from.

Deviations: none from the paper (it does not say how its judge reads a rubric).
"""
import bisect
import re

from judge_inputs import heading_kind
from judge_votes import SURE, request_text, side_votes


# What a rubric asks to judge. A word that a clause negates ("ignore the voice", "without
# judging correctness", "the voice does not matter") does not count; see _affirmed.
# "voice" names what is judged, not a criterion, in "a voice assistant", "voice agent", "voice model", "VoiceBot".
# So do "two voices" and "both voices" ("For the scoreboard we test two voices"): the candidates, not their sound; and
# an answer key, "WEIGHBRIDGE VOICE = IN".
_SEMANTIC = re.compile(r"\b(?:content\w*|semantic\w*|correct\w*|accura\w*|helpful\w*(?! (?:and \w+ )?assistant)|"
                       r"factual\w*|facts?|(?<![,;] )meaning(?! (?:that|it|more|less|\w+er)\b)(?![ \t]*:)|relevan\w*|substance|"
                       r"informative\w*|truthful\w*|what (?:is|was|gets|got) said|word[- ]for[- ]word|"
                       r"(?<!of )what (?:it|they|the \w+) says?|(?<!of )what (?:it|they) (?:actually |really )?said|useful(?:ness)?|iq|"
                       r"right (?:answer|result|thing|information|word|figure|number|sum|count)s?|right,? (?:and \w+|\w+ly \w+) (?:answer|figure|number|result)s?|"
                       #                       ("The right figure comes first", "a right and complete answer", "a right, confidently stated answer")
                       r"said back (?:exactly )?what (?:i|we|they|you|he|she) said|how true|true to (?:what|the)|correct information|"     # not "a recording of what it said"
                       r"(?:got|gets?|getting) (?:it|the \w+|its \w+|their \w+) right|(?:it's|it is|is it|was it|answer's) (?:\w+ly )?(?:right|correct)|"
                       r"(?:answer|reply|response) being (?:right|correct)|(?:the |its )?(?:answer|reply|response) itself|"
                       r"(?:agrees?|match\w*|consistent)(?: better| best| more| most)? (?:with |to )?(?:the |a |an )?(?:reference|expected|gold|answer key|"
                       r"key\b|ground[- ]truth|"
                       r"solution|correct answer)|"
                       r"is the (?:\w+ )?(?:answer|reply|response) (?:\w+ly )?(?:right|correct)|"
                       r"(?:the |its |their )?(?:answer|reply|response|words)(?: (?!is\b|was\b)[\w']+){0,3} (?:is|are|was|were|must be|should be|"
                       r"(?:has|have|need|needs) to be) "
                       r"(?:\w+ly )?(?:right|correct)|"
                       r"answers? (?:the|their|my|your) (?:question|request)|does (?:exactly |just )?what (?:was|is|the user|they) (?:asked|requested)|"
                       r"(?:(?<=\()|(?<=- )|(?<=\u2013 )|(?<=\u2014 ))(?:right|correct|accurate)(?=\s+and\b|\s*[,)])|"     # "the better
                       #                                                 answer (right and to the point)", "the better ANSWER - right and useful"
                       r"(?:just|only) the answer\b(?!'s| (?:audio|clip|recording|file))|the answer only\b|the words only|only the words|"
                       r"(?:only|just|solely) by (?:the |their |its )?answers?\b(?!'s| (?:audio|clip|recording|file|voice|sound))|"   # "judge
                       #                                                   two talking boxes only by the ANSWER they give"
                       r"(?:judge|rate|score|assess|grade|mark|check) (?:only )?(?:the|their|its) words"
                       r"(?!\s+(?:are|were|is|was)\s+(?:spoken|said|delivered|pronounced))|"      # "Judge the words only, not the voice."
                       r"(?:(?:whether|if) (?:the |its |their )?|\bis (?:the |its |their ))(?:sum|result|figure|maths?|arithmetic|number|calculation|count|spelling|word)s?"
                       r"(?: (?:it|they) (?:gave|said|got|gives|says))?(?:'s| is| are| was| were)? "
                       r"(?:\w+ly )?(?:right|correct|wrong)|"                   # "whether the sum is right"
                       r"wrong(?!\s+(?:intonation|pitch|tone|emphasis|stress|pronunciation|prosody|volume|loudness|pace|speed|tempo|"
                       r"emotion|accent|manner|style|way|voice|delivery|mood|register)))\b", re.I)
_ACOUSTIC = re.compile(r"\b(?:paralinguistic\w*|acoustic\w*|deliver\w*(?!-\w)|"      # (not "the delivery-lorry cab")
                       r"(?<!answered by )(?<!replied by )(?<!responded by )(?<!via )(?<!by )(?<!with a )(?<!has a )(?<!two )(?<!both )voice(?!\.\w)(?![ \t]*=[ \t]*[A-Z])(?![\s-]*(?:assistant|agent|model|chat\w*|bot|"
                       r"interface|system|app|ai|"
                       r"answer|repl(?:y|ie)|response|message|note|command|query|tutor|coach|product|service|feature|"
                       r"device|application|helper|ux|team|recording|clip|file|memo|self|prompt|module|software|trial|test|channel|"
                       r"platform|engine|menu|ivr|skill|unit|kiosk|stack|build|version|booth|setting|locali[sz]ation|pack|timer|alarm|brain|cue|qa|box|guide|desk|chip|gadget|companion|scorer|thing|prompter)(?:s|es)?\b)"
                       r"(?![\s-]*(?:gave|gives|answered|won|wins|got|gets)\b)"      # (the one judged: "which voice gave the correct answer")
                       r"(?:(?:s|d)(?![ \t]*(?::|(?:back|answers?|repl(?:y|ies)|responses?|the|an?|its|their)\b))|over|overs)?|"
                       # (not "VoiceQA", "VoiceBot": a product; nor the verb naming a reply: "each trainee voices back the answer",
                       # "Trainee X voiced:", "Whose voiced answer is more accurate?"; "how it is voiced" is the delivery)
                       r"vocal\w*|prosod\w*|natural\w*|fluen\w*|pronunciat\w*|intonation|pitch|(?<!out )(?<!too )loud\w*|softly|"
                       r"volume|articulat\w*|enunciat\w*|speaking rate|emotion\w*|tone|"
                       r"(?:speaking|speech|vocal|requested|asked[- ]for) style|manner of (?:speaking|speech|delivery)|speaking manner|"
                       r"(?:requested|asked[- ]for) manner|"                        # "clear and in exactly the requested manner"
                       r"the (?:manner|mood|style|tone) (?:the \w+|I|we|they|you|he|she) (?:asked|requested|wanted)\b|"   # "in the mood I
                       #                                                          asked for", "the manner the guest asked for as well"
                       r"(?:spoken|said|delivered|read) (?:as |the way (?:it was |they were )?)(?:requested|asked|instructed)|"
                       r"(?:spoken|said|delivered|spoke) (?:how|as) (?:the \w+|they|he|she|I|we|you) (?:asked|requested|wanted|instructed)\b|"
                       r"(?:shouted|hollered|yelled|sung|sang|called|announced) (?:out )?(?:the way|how|as) (?:the \w+|they|he|she|I|we|you) "
                       r"(?:asked|requested|wanted)\b|"                       # "whether it was hollered the way the crowd asked"
                       r"sound(?:s|ing)? (?:happy|sad|cheerful|calm|friendly|warm|angry|excited|upbeat|confident|gentle|bored|"
                       r"enthusiastic)|"
                       r"style (?:of (?:speech|speaking)|requested|asked)|"
                       r"(?:says?|said|saying|speaks?|spoke|spoken|speaking|sounds?|sounding) (?:it )?(?:\w+ )?(?:in )?the way|"
                       r"(?:say|says|said|saying|speak|speaks|spoke|speaking|talks?|talked|talking) (?:it )?(?:exactly |just |nicely )?"
                       r"(?:as|how|like) (?:(?:it|they) (?:was|were) |the \w+ |(?:customer|user|caller|client|guest) |"
                       r"they |he |she |you |I |we )?(?:asked|requested|wanted|instructed)\b|"      # "did it say it as asked", "it talks how
                       #                                                               customer asked", "said exactly how asked"
                       r"(?:spoken|said|delivered) in the (?:requested|asked[- ]for|right|correct) (?:manner|way|style)|"
                       r"how (?:clearly|well|naturally)(?: and \w+)? (?:it|they) (?:is|are|was|were) (?:spoken|said|delivered)|"
                       r"how (?:clearly|well|naturally) (?:is|are|was|were) (?:it|they|the \w+) (?:spoken|said|delivered)\b|"   # "How well is
                       #                                                                                the reply spoken, ...?"
                       r"the way (?:it|they|the \w+) (?:says?|said|speaks?|spoke|sounds?|sounded|delivered|reads?|read) "
                       r"(?:it|them|that|this)\b|the way (?:it's|it is|they're|they are) (?:spoken|said|delivered|read)|"
                       r"speech (?:quality|delivery|clarity)|(?:quality|clarity) of (?:the |its )?speech|(?:good|clear|natural) speech|"
                       r"how well (?:it|they|the \w+) (?:is|are|was|were) (?:spoken|said|delivered)|"
                       r"style (?:the user |they )?(?:asked for|requested)|"
                       r"pac(?:e|ing)|intelligib\w*|timbre|expressive\w*|audio quality|sound quality|"
                       r"how it's (?:said|spoken|delivered)|how (?:it|they|the \w+|each(?: \w+)?) (?:sound(?:s|ed)?|(?:says?|said) it|speaks?|spoke|"
                       r"talk(?:s|ed)?|(?:is|are|was|were) (?:said|spoken|delivered))|"      # ("HOW they talk", "how each radio spoke")
                       r"in the way (?:the \w+|they|he|she|you|I|we) (?:asked|requested|wanted)\b|"    # "clear, and in the way the fan asked"
                       r"(?:does|do|did) (?:it|they|this|the \w+) sound|(?<!even )(?:whether|if) (?:it|they|the \w+) sounds?|"    # (not a hedge: "right (even if it sounds a bit unsure)")
                       r"(?:speak(?:s|ing)?|said|spoken) (?:clearly|well|better|best|worse)|in the manner\b|the manner in which (?:it|they|each) (?:is|are|was|were) "
                       r"(?:spoken|said|delivered)|the way (?:it|they) (?:was|were) (?:spoken|said|delivered|read)|(?:clearly|well|properly)(?:,? (?:and )?(?:clearly|well|properly))?[ -]"
                       r"(?:spoken|said)|"
                       r"sounds? (?:good|natural|nice|right|clear|fine|better)|(?:spoken|said|delivered) (?:properly|clearly|well)\b|"
                       r"how (?:it|they) (?:came|comes?) across\b|"
                       r"(?:sounds?|sounded) (?:more |most |closer )?(?:like )?what (?:was|were|is|they|the \w+) (?:asked|requested|wanted)|"
                       r"how (?:good|natural|nice|clear|pleasant) (?:it|they) sounds?|how (?:the )?(?:speech|voice|audio) sounds?|"
                       r"eq)\b",
                       re.I)
_HOLISTIC = re.compile(r"\b(?:holistic\w*|overall|as a whole|on the whole|all[- ]round|(?:on|consider\w*|weigh\w*) everything|"
                       r"tak(?:e|ing) everything into account)\b", re.I)
_JUDGE_WORDS = (r"judg\w*|adjudicat\w*|grad\w*|scor\w*|rat\w*|assess\w*|evaluat\w*|consider\w*|mention\w*|penali[sz]\w*|care|look at|factor|"
                r"comment\w*|"
                r"mark(?:s|ed|ing)?|compar\w*|check(?:s|ed|ing)?|"
                r"focus on|take into account|count|reward\w*")
_JUDGE_VERB = rf"(?:{_JUDGE_WORDS})"
# "X does not matter", "X is out of scope", "X is not graded here", "X is checked elsewhere / by another team"
_NEG_BEFORE = re.compile(r"\b(?:(?:does|do|should|must|will|shall)(?: not|n't) (?:matter|count|affect|influence|change)|"
                         r"(?:has|have|bears?) (?:no|nothing) (?:bearing|effect|influence|weight)\b|"     # "... has no bearing on the result"
                         r"(?:is|are) of no (?:account|importance|consequence|interest|concern)\b|"     # "... is of no account for this order"
                         r"(?:is|are) for (?:the|a|an|our|my|their) [\w-]+(?: [\w-]+)?,? not (?:for )?(?:this|the|our|my|you|us|me)\b|"
                         #      ("Whether the answer is arithmetically correct is for the schoolteacher, not for this jury")
                         r"(?:does|do)(?: not|n't) come into (?:it|this|that|the \w+)\b|"      # "How it sounds doesn't come into it"
                         r"(?:is|are) not for (?:this|the|our|my) \w+\b|(?:is|are) no concern\b|"     # "... are not for this log"
                         r"(?:is|are) for (?:the|a) (?:next|later|another|separate|different) (?:[\w-]+ ){0,2}(?:review|check|test|"
                         r"session|round|day|time)\b|"                         # "the voice is for the next kit review"
                         r"(?<=:[ \t])not in the (?:rules|rulebook|scoring|marking|criteria)\b|"     # "Voice, speed, volume: not in the rules"
                         r"(?<=:[ \t])not (?:on|part of|for) (?:this|the|my|our) (?:tag|sheet|card|form|ticket|log|check|list)\b|"
                         #                                                     ("Volume, tone, speed: NOT on this tag")
                         r"(?:is|are) (?:being )?(?:checked|judged|marked|scored|assessed|handled) by (?:someone else|somebody else|"
                         r"(?:the|our|a|another) (?:[\w-]+ ){0,2}(?:department|team|office|panel|teacher|judge|colleague|person|staff))\b|"
                         #                                                 ("... by the Maths department", "... by someone else")
                         r"(?:does|do)(?: not|n't) enter (?:in|into) (?:it|this|that|the \w+)\b|"   # "... does not enter into it"
                         r"(?:rat|judg|scor|mark|check)\w* (?:the |its |their )?\w+ (?:on )?(?:another|a different|some other|a separate) "
                         r"(?:night|day|time|round|week|session|occasion)\b|"       # "I'm rating the voice another night"
                         r"still (?:earns?|gets?|scores?|receives?) (?:the )?(?:full|top) (?:marks?|points?|score)\b|"   # "a wrong sum said as
                         #                                                                       asked still earns full marks here"
                         r"(?:we|I|you) (?:do not|don't|will not|won't|never|are not|aren't) (?:judg|mark|scor|rat|grad|check|count|assess|care|mind)\w*"
                         r"(?: (?:about|with|of))?(?: (?:for |in )?(?:this|that|it|them|here|now|today|this time|at all))?(?=\s*[.;!,]|\s*$)|"
                         #                     ("The voice, ..., this we do not judge now", "Their voice, ..., I don't care about for this.")
                         r"none of (?:that|this|it|those|these|them) (?:goes|counts|matters|is \w+ed|gets \w+ed)\b|"
                         r",\s+so\s+(?:please\s+)?(?:ignore|disregard|forget|(?:don't|do not) (?:judge|mark|rate|score|worry about)|"
                         r"leave (?:\w+ ){1,3}out of (?:it|this|that)\b)|"   # "Both
                         #                                   voices are tinny, so ignore sound quality": the reason goes with it
                         r"(?:team|annotators?|reviewers?|judges?|pass|people|group|colleagues?) (?:covers?|checks?|handles?|"
                         r"judges?|scores?|rates?|reviews?|looks? at) (?:that|this|it|those|them)|"     # "the content team covers that"
                         r"(?:in|by) (?:a separate|another|a different) (?:study|pass|step|task|review|form|round|check|evaluation)\b|"
                         r"(?:in|by) (?:separate|other|different) (?:studies|passes|steps|tasks|reviews|forms|rounds|checks|evaluations)\b|"
                         r"(?:is|are) (?:scored|judged|rated|assessed|evaluated|graded|covered|checked|marked|tracked) (?:in|under) "
                         r"(?:items?|sections?|steps?|parts?|questions?|criteri\w+|another|a separate|a different|[A-Z]{1,2}\d{1,2}|[A-Z]{1,4}-\d{1,6})\b|"   # "... are scored in items 6-8", "tracked in OT-5520"
                         r"(?:is|are) not what (?:we|I|you)(?:'re| are|'m| am)? (?:logging|judging|checking|marking|scoring|rating|"
                         r"grading|testing|asking|after|looking at)\b|"      # "Whether it picked the right number is NOT what we're logging"
                         r"(?:(?:is|are|'s) |(?<=:[ \t]))not (?:your|our|the|a|my|their) (?:concern|focus|job|business|task|point|issue|"
                         r"matter|question|department|problem|worry)\b|"     # ("Whether the answer content is right or wrong: not my department")
                         r"(?<!\bis )(?<!\bare )(?<!n't )not (?:relevant|important|needed|required)\b(?=\s*[.;!,)]|\s*$)|"    # "Sound quality not relevant."
                         r"(?:is|are) (?:fine|ok|okay|no problem|not an issue)\b(?=\s*[,.;!]|\s*$)|(?:is|are) neither here nor there\b|"       # "the voice is fine, I only need ..."
                         r"(?:is|are) not under (?:discussion|review|consideration|evaluation)\b|"    # "... is not your concern"
                         r"(?:is|are) not (?:part of )?(?:helpfulness|correctness|accuracy|naturalness|fluency)\b(?=\s*[,.;!]|\s*$)|"
                         #      ("Manner of speaking (volume, pace, emotion) is NOT helpfulness, even when ...": not what is judged)
                         r"(?:is|are) not (?:to be|being) (?:judged|assessed|considered|evaluated|scored|rated|graded|marked|checked)\b|"
                         r"(?:is|are) (?:someone|somebody) else'?s (?:job|concern|task|problem)\b|"
                         r"(?:is|are) (?:irrelevant|not relevant|not important|out of scope|excluded|not (?:assessed|considered|"
                         r"judged|evaluated|scored|rated|graded|marked|reviewed|checked|part of|included|covered|logged|counted|recorded)|"
                         r"(?:checked|judged|assessed|appraised|evaluated|handled|reviewed|scored|rated|graded|covered|marked|audited|tracked|"
                         r"validated|verified|tested|catalogued|cataloged|logged|recorded|documented|labell?ed|annotated) "
                         r"(?:elsewhere|separately(?: (?:in|by) (?:another|a separate|a different|other|our|their|the) (?:\w+ ){0,2}?\w+|"
                         r" on (?:line|item|page|step|form) \w{1,4})?"      # "... is appraised separately on line 9)"
                         r"(?=\s*(?:[.;,!?)]|$))|"
                         r"(?:by|in) (?:another|a separate|a different|other)\b)))\b",
                         re.I)          # "delivery is evaluated separately." (not "scored separately for correctness")
# "n't" ("don't", "shouldn't") and a contrast's ", not" ("rate the delivery, not the meaning") have no word
# boundary before them, so they stand outside the \b group
_NEG_AFTER = re.compile(rf"(?:\b(?:ignor\w*|disregard\w*|without|regardless of|irrespective of|no matter|rather than|"
                        rf"(?:do not|never) let|forget(?: about)?|(?:do not|does not|never) mind|(?:do not|never) take|"
                        rf"(?:do not|never) (?:go by|weigh|bother (?:about|with))|"     # "Don't go by the voice", "Please do not weigh the
                        #                                                    voice itself", "Don't bother about how it sounds"
                        rf"(?:do not|never|no need to) worry|(?:say|write) nothing about|(?:please |do )?not look (?:at|if|whether)|"
                        rf"(?:set|put|leave) aside|\bchecks? (?:that |this |it )?separately\b|"     # "Our pharmacist checks separately whether"
                        rf"leave (?=(?:\w+ ){{1,3}}out of (?:it|this|that|consideration|account)\b)|"      # "leave the words out of it"
                        rf"not (?:bothered|fussed|worried|concerned) (?:here |now |really |too much )?(?:about|with|by|how|whether|if)|"
                        rf"(?:I'm|I am|we're|we are) not after|nothing about|nothing to do with|"
                        rf"instead of|not (?:about|on|the|its|their|whether|what|how)|(?:not|never) {_JUDGE_VERB}|"
                        rf"not ask\w* (?:about|whether|if|for|how|which)|"          # "I'm NOT asking whether the answer is right"
                        rf"out of scope|(?:no|not) need to|(?:nobody|no one|no-one) (?:cares|minds|is judging|checks)|"
                        rf"(?:we'll|we will|I'll|I will|they'll|someone will) (?:sort|deal with|handle|look at|check|fix|do|cover)\b"
                        rf"(?=[^.;\n]{{0,40}}\b(?:separately|later|elsewhere|another time|next time)\b)|"   # "we'll sort the voice out separately"
                        rf"(?:another|a separate|a different|other) (?:\w+ ){{0,2}}(?:checks?|judges?|scores?|rates?|grades?|reviews?|"
                        rf"handles?|covers?|evaluates?|assess\w*))|"      # "a separate annotator checks content"
                        rf"n't (?:{_JUDGE_WORDS}|need to|mind|worry|go by|weigh|bother (?:about|with))|"
                        rf"\b(?:dont|doesnt|shouldnt|wont) (?:{_JUDGE_WORDS}|need to|mind|worry)|"      # "dont care abt the voice"
                        rf"(?<=,) (?:not|never)(?! only| just| merely| simply)|"     # "how speech sounds, never what it says"
                        rf"(?<=only) (?:not|never))\b", re.I)           # "RATE CORRECTNESS OF ANSWER ONLY NOT VOICE"
# "Judge only the voice", "concentrate solely on the content": where a clause narrows the judging
# to one side, that side is the axis, whatever else the rubric mentions ("not only" does not narrow).
# Not "just" ("just a medium"), nor a condition ("penalize it only when ...", "give 5 only if ...").
_FOCUS = re.compile(r"(?<!not )\b(?:only|solely|exclusively|purely|alone)\b(?!\s+(?:if|when|where|once|after|before|as|to|just|"
                    r"partly|partially|slightly|somewhat|mostly|half|barely|roughly|loosely|vaguely|moderately)\b)|"    # "only partly matches"
                    r"\byour (?:job|task|role) (?:is|here is) to\b|"          # "Your job is to rate how ..."
                    r"\b(?:compare|judge|rate|score|assess|evaluate|grade|check|mark)\s+just\b", re.I)    # "compare just the voice"
_NARROWS = re.compile(rf"\b(?:{_JUDGE_WORDS}|concentrat\w*|listen\w*|attend\w*|matters?|decide|choose|pick|determine|in scope|test\w*|"
                      rf"(?:want|need) to know|whether)\b",
                      re.I)


def _affirmed(text) -> str:
    """The rubric without markdown and without what it tells the judge to leave out: from a
    cue like "ignore" to the end of its clause, and the whole clause around "... does not matter".
    Linear in the text: clause ends are looked up by bisection in one list of stops, and the
    spans are merged before blanking (a long rubric full of cues must not take quadratic time)."""
    text = re.sub(r"[ \t]{2,}", " ", re.sub(r"[*_`#>]+", " ", text))
    # where a clause stops; a comma or colon too where a new subject starts ("Forget the spelling, I'm only
    # tuning the voice") or the question does ("Ignoring the content, which one sounds better?"), not before a
    # list ("Ignore the voice: loudness, tone and pace")
    # a parenthesis belongs to its clause: "Delivery (voice, speed, loudness) is out of scope", "style (volume etc.) is not"
    bare = re.sub(r"\([^()\n]{0,200}\)", lambda m: " " * len(m.group(0)), text)
    # (in a run-on letter with no stops, a new "I only want ..." starts one: "I am not bothered how they sound my hearing is
    # not what it was I only want to know which one got it right")
    # ("etc." before a lowercase word ends nothing: "Voice quality, speed etc. are irrelevant for this decision")
    # (and a dash before "so": "not on his bank account - so this box is judged on its BEARING too")
    ends = [m.start() for m in re.finditer(r"\.(?!\d)(?!(?<=\betc\.)[ \t]+[a-z])|[;!?\n\u2014]|\s(?=(?:I|I'm|i'm|im) (?:only|just|really|mainly|simply|want|need|care|asking)\b)|\s(?=but\s)|"
                                           r"\s-{1,2}\s(?=(?:and )?(?:so|therefore|thus|hence)\b)|"
                                           r"\s-{1,2}\s(?=only\b)|[,:](?=\s+(?:I|I'm|I am|i|i'm|im|we|we're|we are|(?i:but|please|pls|just|only))\b)|"
                                           r",(?=\s+(?i:which|who|how|what|rate|score|judge|decide|pick|choose|tell)\b)", bare)]
    starts = [m.start() + (1 if m.group(0)[0].isspace() else 0)
              for m in re.finditer(r"\.(?!\d)(?!(?<=\betc\.)[ \t]+[a-z])|[;!?\n,]|\s(?:-{1,3}|[\u2013\u2014])\s", bare)]  # where one begins (after); " - ", " -- " too

    def clause_end(i):
        k = bisect.bisect_left(ends, i)
        return ends[k] if k < len(ends) else len(text)

    def clause_start(i):
        k = bisect.bisect_left(starts, i)
        return starts[k - 1] + 1 if k else 0
    def sentence_start(i):      # a list before "are ..." ("style, emotion and quality are out of scope") is one subject
        k = bisect.bisect_left(ends, i)
        return ends[k - 1] + 1 if k else 0
    # a cue inside a parenthesis leaves out only its part of it: "(10 = exactly right; delivery does not matter)"
    parens = [m.span() for m in re.finditer(r"\([^()\n]{0,200}\)", text)]
    opens = [a for a, _ in parens]

    def within(i, a, b, stops=r"[;,]"):     # (a, b) a cue's span; inside a parenthesis, cut to the piece between its ; or ,
        k = bisect.bisect_right(opens, i) - 1
        if k < 0 or not parens[k][0] < i < parens[k][1]:
            return a, b
        p0, p1 = parens[k]
        cut = [p0] + [p0 + m.start() for m in re.finditer(stops, text[p0:p1])] + [p1 - 1]
        j = bisect.bisect_right(cut, i)
        return cut[j - 1] + 1, cut[j]
    # (and a list taken up again by "this" / "that" / "it": "The voice, the accent, the volume, this is not important")

    def listed_start(i):        # a list before a cue starts its clause: "The voice it uses, loud, fast, cheerful, whatever, does
        #                         not count", "Loud, soft, fast, slow: none of that goes on this sheet", "... alone - the voice,
        #                         volume or tone has no bearing" (two commas, or one and an "or" / "and" after it, since the
        #                         sentence's start or its last dash); else the clause's own start
        start = max(sentence_start(i), i - 200)     # (a bounded look: a text of cues without stops stays linear)
        dashes = list(re.finditer(r"\s(?:-{1,3}|[\u2013\u2014])\s", text[start:i]))
        start += dashes[-1].end() if dashes else 0
        said = text[start:i]
        if dashes and not said.strip():     # the subject before a list set off by dashes: "How it sounded - fast, slow,
            return max(sentence_start(i), i - 200)      # loud, soft - doesn't come into this check"
        return start if said.count(",") >= 2 or re.search(r",[ \t]*(?!(?:and|but|so|while|though)\b)\w+(?:[ \t]+\w+)?[ \t]+(?:or|and)\b",
                                                          said[said.rfind(","):]) else clause_start(i)
    def topic_start(i):         # what "we do not judge here" leaves out is all before it in its sentence: "The sound of the
        #                         voice, speed, loud or soft, we do not judge here." (its comma before "we" ends no clause)
        stop = list(re.finditer(r"[.!?;\n]|\s[-\u2013\u2014]{1,2}\s", text[max(0, i - 200):i]))     # (or a dash: "... correct - the
        #                                                                                        voice I do not care about")
        if stop and len(stop[-1].group(0)) > 1 and not text[max(0, i - 200) + stop[-1].end():i].strip():
            stop = [s for s in stop if len(s.group(0)) == 1]    # a dash just before it closes a list: "The voice - happy, sad,
            #                                                     loud, soft - you do not count at all"
        return max(0, i - 200) + (stop[-1].end() if stop else 0)
    spans = [within(m.start(), (topic_start if re.match(r"(?:we|I|you)\b", m.group(0)) else
                                sentence_start if re.match(r"(?:are|do)(?:\b|n't)", m.group(0), re.I) or re.search(
        r"(?:,|\s[-\u2013\u2014]{1,2})[ \t]*(?:this|that|these|those|it|they|all(?: of)? (?:this|that))[ \t]+\Z",
        text[max(0, m.start() - 20):m.start()], re.I)       # ("The spelling may be wrong - that is labelled elsewhere")
        else listed_start)(m.start()), clause_end(m.end())) for m in _NEG_BEFORE.finditer(text)]
    # (what follows a cue runs on past a list's commas: "(what was said only; ignore delivery, tone and whether ...)")
    spans += [(m.start(), within(m.start(), m.start(), clause_end(m.end()), r";|,(?=\s+(?:but|I|we|please|just|only|which|who|how|what|"
                                                                                r"rate|score|judge|decide|pick|choose|tell)\b)")[1])
              for m in _NEG_AFTER.finditer(text)]
    # a heading that names what to leave out, over its list: "## What NOT to judge" / "- voice quality, pitch" / ...
    # (or "🚫 IGNORE" / "Out of scope:" alone on its line)
    spans += [m.span() for m in re.finditer(r"(?im)^[ \t]*(?:[^\w\s]{1,3}[ \t]*)?(?:(?:what )?(?:not to|do not|don't|never) "
                                            r"(?:judge|evaluate|consider|score|rate)(?: the following)?|ignore|out of scope)"
                                            r"[ \t]*:?[ \t]*(?:\n[ \t]*[^\s][^\n]*){1,20}", text)]
    # a numbered item headed so, the rest of its line: "2. Out of scope. Voice quality, tone, speed ..."
    spans += [m.span() for m in re.finditer(r"(?im)^[ \t]*(?:\d{1,2}[.)]?[ \t]*)?(?:out of scope|not in scope)[ \t]*[.:][^\n]*", text)]
    pieces, done = [], 0
    for a, b in sorted(spans):
        a = max(a, done)
        if b > a:
            pieces += [text[done:a], " " * (b - a)]
            done = b
    return "".join(pieces) + text[done:]


# a rubric that weighs both sides, whatever words it finds for the second one
_BOTH = re.compile(r"\b(?:consider\w*|taking into account|take into account|weigh\w*|combin\w*|covering|covers?|judge|rate) both\b|"
                   r"\bboth (?:count|matter)\b|"          # "the actual answer AND the vibe/voice, both count"
                   r"\b(?:words?|answer|content|correctness)\s+and\s+(?:\w+\s+){0,3}?(?:the way|the manner|how(?! (?:correct|accurate|right|closely|much|many)\b)|"
                   r"spoken|said)\b|"
                   # "the words and the way it was said", "right words AND say them the way ...", "right words and spoken the way ..."
                   r"\b(?:content|correctness|accuracy|answer)\s+(?:and|&|\+)\s+(?:also\s+)?(?:the\s+)?(?:good\s+|clear\s+)?"
                   r"(?:speech|voice|delivery|delivered|spoken|audio|sound)\b|"       # "right answer AND delivered in the requested manner"
                   r"\bboth (?:the |its )?(?:content|correctness|accuracy|answer|what|whether)\b[^.\n]{0,60}\band\b", re.I)


def axis_of_words(text) -> str | None:
    """'semantic' / 'acoustic' if the text asks for one side only ("the overall naturalness"
    too) or narrows its judging to one ("focus solely on the voice"), 'holistic' if it names
    both or only the whole, None if it names neither."""
    text = _affirmed(text)
    # (or a clause of a few words that names its side: "Which booth gave the right answer? Content only, ...")
    # (or whose side's words hold the narrowing word: "correctness of the ANSWER only", "just the answer")
    # (or a focus word just before them, a word or two like "for" between: "only for what it actually said"; not "only just
    # wrong", barely wrong, nor "only the clear voice keeps it off the floor")
    narrowed = [c for c in re.split(r"[.;!?\n,()]|\s[-\u2013\u2014]{1,2}\s", text) if _FOCUS.search(c) and (
        _NARROWS.search(c) or len(c.split()) <= 3 or any(re.search(r"\b(?:only|just|solely)\b", m.group(0), re.I) or
                                                         re.search(r"(?<!only )\b(?:only|just|solely)\b(?! just)(?:\s+(?:for|on|about|the|its|their|to|at|in)){0,2}\s*$",
                                                                   c[:m.start()], re.I)
                                                         for side in (_SEMANTIC, _ACOUSTIC) for m in side.finditer(c)))]
    sem, ac = any(_SEMANTIC.search(c) for c in narrowed), any(_ACOUSTIC.search(c) for c in narrowed)
    if sem != ac:
        return "semantic" if sem else "acoustic"
    sem, ac = bool(_SEMANTIC.search(text)), bool(_ACOUSTIC.search(text))
    if sem != ac and not _BOTH.search(text):        # "taking into account both whether it is correct and ..."
        return "semantic" if sem else "acoustic"
    return "holistic" if sem or ac or _HOLISTIC.search(text) else None


def spell_out(rubric) -> str:
    """The rubric with each abbreviation it defines written out: "CA - Content Accuracy ... rate CA only"
    reads "rate Content Accuracy only". A definition is an all-capitals word of 2-4 letters next to
    words whose initials spell it ("CA - Content Accuracy", "Delivery Quality (DQ)")."""
    words = r"((?:[A-Z][a-z]+[ \t]+){1,3}[A-Z][a-z]+)"
    found = {}
    defined = rf"\b([A-Z]{{2,4}})\b\**[ \t]*(?:-|\u2013|:|=|\()[ \t]*\**{words}|{words}[ \t]*\(([A-Z]{{2,4}})\)"
    for m in re.finditer(defined, rubric):
        short, full = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if "".join(w[0] for w in full.split()) == short:
            found.setdefault(short, full)
    if not found:
        return rubric
    return re.sub(r"\b(%s)\b" % "|".join(found), lambda m: found[m.group(1)], rubric)


# a sentence that asks for the judging: "Which day sounded better?", "pick the one whose ANSWER is correct."
_ASKING = re.compile(r"^[\W\d]*(?:(?:now|so|please|ok|okay|right|then|and|finally),?\s+)*(?:which|whose|who|pick|choose|compare|"
                     r"judge|rate|score|grade|assess|evaluate|decide|select|mark|tell me which|say which)\b", re.I)


def asked_axis(rubric) -> str | None:
    """The side a rubric's asking sentences name, where they name one and not the whole: its questions ("Which day
    sounded better?") and orders to judge ("pick the one whose ANSWER is correct."), whatever its other sentences name
    in ways the negations above miss ("The content may differ; ignore it.", "we can't hear the tone anyway"). None
    otherwise."""
    # (sentences as a reader takes them: "Rate the reply (is it correct? does its voice fit?) from 1 to 5." is one)
    asking = " ".join(s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'\u201c(])|\n", rubric) if _ASKING.search(s) and not s.lstrip().startswith("|"))
    # (one that asks for the whole names no side: "Judge them on everything", "score it overall, ... together", "the
    # quality and relevance of their outputs", "Judge the whole performance, words and delivery together.")
    if not asking or _HOLISTIC.search(asking) or _BOTH.search(asking) or \
            re.search(r"(?<!speech )(?<!audio )(?<!sound )(?<!voice )\bquality\b|\btogether\b|\bthe whole\b", asking, re.I):
        return None
    said = axis_of_words(asking)
    return said if said in ("semantic", "acoustic") else None


def rubric_axis(rubric, messages=None) -> str:
    """The axis a rubric asks for: our 'Scoring axis:' line if present; else the side the words of the whole request
    (every text part of `messages`, the chat body's; the rubric when None) vote for, where they are sure of it
    (judge_votes.side_votes, a margin over judge_votes.SURE); else the rules' reading (ruled_axis)."""
    m = re.search(r"Scoring axis:\s*(semantic|acoustic|holistic)", rubric)
    if m:
        return m.group(1)
    side, margin = side_votes(rubric if messages is None else request_text(messages))
    return side if margin > SURE else ruled_axis(rubric)


def ruled_axis(rubric) -> str:
    """The axis a rubric's words ask for, by rule: a G-Eval metric's name; else both where the body says both; else
    the one side its asking sentences name (asked_axis); else its title (first non-empty line, if it reads as a title:
    marked up, or short and not a sentence, so not a persona such as "You are a helpful assistant.") if that names
    one; else its body; else holistic."""
    rubric = spell_out(rubric)
    metrics = re.findall(r"(?m)^[ \t]*+(?:[-*][ \t]*+)?([A-Z][A-Za-z ]{2,30}?)[ \t]*\(\d{1,3}[ \t]*[-\u2013][ \t]*\d{1,3}\)[ \t]*[-:\u2013]",
                         rubric)
    if len(metrics) == 1 and axis_of_words(metrics[0]) in ("semantic", "acoustic"):   # G-Eval's "Correctness (1-5) - ..."
        return axis_of_words(metrics[0])
    lines = [line.strip() for line in rubric.strip().splitlines()]
    first = next((line for line in lines if line.strip(" *#_-")), "") if not metrics else ""
    title = first if first.startswith(("#", "**", "__")) or len(first.split()) <= 8 and not first.endswith(".") else ""
    title = "" if re.fullmatch(r"[#/\s]*[\w./-]+\.(?:ya?ml|json\w?|txt|md|csv|py|xml|toml|ini|cfg)", title) else title   # a file's name
    title = re.sub(r"[\"\u201c][^\"\u201c\u201d]*[\"\u201d]", " ", title)       # a name it quotes: 'Experiment: EXP-311 "TTS pacing v2"'
    # a subtitle right under it: "SPOKEN DIALOGUE PREFERENCE ANNOTATION - GUIDELINE v2.3" / "Dimension C: Correctness (...)"
    second = lines[lines.index(first) + 1] if title and lines.index(first) + 1 < len(lines) else ""
    subtitle = second if len(second.split()) <= 8 and not second.endswith((".", "?")) and not re.match(r"\d{1,2}[.)]|[-*]", second) \
        and not heading_kind(second.split(":")[0]) else ""
    body, affirmed = axis_of_words(rubric), _affirmed(rubric)
    if body == "holistic" and _BOTH.search(affirmed):
        return body             # "## Concierge voice check" over "ONE overall rating that covers both the answer and ...": the body says
    asked = asked_axis(rubric)
    if asked and body != asked:
        return asked            # "Which one sounds better?" after "the content may differ; ignore it": the asking sentence says
    # a body that names one side and leaves the other out, where the title names that other side ("LQA FORM (voice
    # deliverables)" over "... the ACCURACY category only ... audio delivery is NOT assessed"): the body says
    other = {"semantic": _SEMANTIC, "acoustic": _ACOUSTIC}
    heading = axis_of_words(title) or axis_of_words(subtitle)          # (a subtitle too: "Owner: PM, Voice Experiences")
    if body in other and heading in other and heading != body:
        side = other[heading]
        if len(side.findall(affirmed)) < len(side.findall(re.sub(r"[*_`#>]+", " ", rubric))):
            return body
    return heading or body or "holistic"
